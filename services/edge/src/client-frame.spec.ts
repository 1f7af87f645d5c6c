import { describe, expect, it } from 'vitest';
import { parseClientFrame } from './client-frame.js';

describe('parseClientFrame', () => {
  it('reads every client message of the browser protocol', () => {
    expect(parseClientFrame('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
    expect(parseClientFrame('{"type":"subscribe","project_id":"p1","last_seq":12}')).toEqual({
      ok: true,
      message: { type: 'subscribe', projectId: 'p1', lastSeq: 12 },
    });
    expect(parseClientFrame('{"type":"subscribe","project_id":"p1"}')).toMatchObject({
      message: { lastSeq: 0 },
    });
    expect(parseClientFrame('{"type":"unsubscribe","project_id":"p1"}')).toMatchObject({
      ok: true,
    });
    expect(parseClientFrame('{"type":"answer_blocker","blocker_id":"b1","answer":"yes"}')).toEqual({
      ok: true,
      message: { type: 'answer_blocker', blockerId: 'b1', answer: 'yes' },
    });
  });

  it('says what is wrong with a bad frame', () => {
    const error = (text: string) => {
      const parsed = parseClientFrame(text);
      return parsed.ok ? undefined : parsed.error;
    };
    expect(error('not json')).toBe('malformed frame: not JSON');
    expect(error('[1]')).toBe('malformed frame: expected a JSON object with a "type"');
    expect(error('{}')).toBe('malformed frame: missing "type"');
    expect(error('{"type":"shout"}')).toMatch(/^unknown message type "shout": expected subscribe/);
    expect(error('{"type":"subscribe"}')).toBe(
      'subscribe: "project_id" must be a non-empty string',
    );
    expect(error('{"type":"subscribe","project_id":"p","last_seq":-1}')).toMatch(/last_seq/);
    expect(error('{"type":"subscribe","project_id":"p","last_seq":"3"}')).toMatch(/last_seq/);
    expect(error('{"type":"answer_blocker","blocker_id":"b"}')).toMatch(/"answer" must be/);
    const long = JSON.stringify({ type: 'subscribe', project_id: 'p'.repeat(201) });
    expect(error(long)).toBe(
      'subscribe: project id is 201 characters long, more than the 200 allowed',
    );
    expect(error(JSON.stringify({ type: 'unsubscribe', project_id: 'a\u0000b' }))).toBe(
      'unsubscribe: project id contains control characters',
    );
  });
});
