// The drawer's reviews of a task: each verdict on an attempt before its merge, with the
// reviewer's summary and its comments (file, line, what to change).
import type { TaskRecord } from '@codeframe/events/view';
import { h } from './dom.js';
import { clockTime, plural } from './format.js';

export function reviewSection(record: TaskRecord): HTMLElement | null {
  if (record.reviews.length === 0) return null;
  return h(
    'section',
    { class: 'drawer-section', 'data-testid': 'task-reviews' },
    h('h3', null, 'Reviews', h('span', { class: 'panel-count' }, String(record.reviews.length))),
    record.reviews.map((review) =>
      h(
        'div',
        {
          class: 'run review',
          'data-tone': review.approved ? 'ok' : 'warn',
          'data-verdict': review.approved ? 'approved' : 'changes-requested',
        },
        h(
          'div',
          { class: 'run-line' },
          h('span', { class: 'run-mark' }, review.approved ? '✓' : '✎'),
          h(
            'b',
            null,
            review.approved
              ? `attempt ${review.attempt} approved`
              : `attempt ${review.attempt}: changes requested (${plural(review.comments.length, 'comment')})`,
          ),
          h('span', { class: 'run-time' }, clockTime(review.timestamp)),
        ),
        review.summary ? h('div', { class: 'review-summary' }, review.summary) : null,
        review.comments.length > 0
          ? h(
              'ul',
              { class: 'review-comments' },
              review.comments.map((c) =>
                h(
                  'li',
                  null,
                  h('span', { class: 'mono' }, c.line > 0 ? `${c.path}:${c.line}` : c.path),
                  ' ',
                  c.body,
                ),
              ),
            )
          : null,
      ),
    ),
  );
}
