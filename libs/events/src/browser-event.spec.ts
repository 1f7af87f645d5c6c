import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { EventSchema, TaskStatus } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { serialiseEvent, toBrowserEvent } from './browser-event.js';

describe('the browser shape of an event', () => {
  it('puts the payload fields, in proto spelling, beside type, project_id, seq and timestamp', () => {
    const event = create(EventSchema, {
      projectId: 'p1',
      seq: 12n,
      time: timestampFromMs(Date.UTC(2026, 10, 24, 1, 2, 3)),
      payload: {
        case: 'taskStatusChanged',
        value: { taskId: 't1', from: TaskStatus.PENDING, to: TaskStatus.ASSIGNED, attempt: 1 },
      },
    });
    expect(toBrowserEvent(event)).toEqual({
      type: 'task_status_changed',
      project_id: 'p1',
      seq: 12,
      timestamp: '2026-11-24T01:02:03.000Z',
      task_id: 't1',
      from: 'TASK_STATUS_PENDING',
      to: 'TASK_STATUS_ASSIGNED',
      reason: '',
      attempt: 1,
    });
    expect(JSON.parse(serialiseEvent(event))).toEqual(toBrowserEvent(event));
  });

  it('names every payload of the contract by its proto field name', () => {
    const event = create(EventSchema, {
      projectId: 'p',
      seq: 1n,
      payload: { case: 'tokenUsage', value: { taskId: 't', call: { inputTokens: 5n } } },
    });
    expect(toBrowserEvent(event)).toMatchObject({
      type: 'token_usage',
      call: { input_tokens: '5', cache_read_input_tokens: '0' },
    });
  });

  it('refuses an event without a payload', () => {
    expect(() => toBrowserEvent(create(EventSchema, { projectId: 'p', seq: 3n }))).toThrow(
      /event 3 of project p has no known payload/,
    );
  });
});
