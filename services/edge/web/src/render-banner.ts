// The error banner under the header: what went wrong, in the edge's own words, and when
// the next attempt happens.
import { h, setText } from './dom.js';
import type { ProjectSync } from './project-sync.js';

export class ErrorBanner {
  readonly el: HTMLElement;
  readonly #text = h('span', { class: 'banner-text' });
  readonly #retry: HTMLButtonElement;

  constructor(onRetry: () => void) {
    this.#retry = h('button', { class: 'link', type: 'button', onclick: onRetry }, 'retry now');
    this.el = h(
      'div',
      { class: 'banner', 'data-testid': 'error-banner', role: 'alert', hidden: true },
      h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
      this.#text,
      this.#retry,
    );
  }

  render(sync: ProjectSync, now: number, fallback: string | undefined): void {
    const banner = sync.banner;
    const message = banner?.message ?? fallback;
    this.el.hidden = !message;
    if (!message) return;
    let text = message;
    if (banner?.retryAt) {
      text += ` — retrying in ${Math.max(0, Math.ceil((banner.retryAt - now) / 1_000))}s`;
    }
    setText(this.#text, text);
    this.#retry.hidden = !banner?.retryAt;
  }
}
