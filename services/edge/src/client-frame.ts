// Frames a browser sends to the edge (JSON text), validated into typed messages. Anything
// else gets an `error` frame with a sentence saying what was wrong.
import { projectIdProblem } from './project-id.js';

export type ClientMessage =
  | { type: 'subscribe'; projectId: string; lastSeq: number }
  | { type: 'unsubscribe'; projectId: string }
  | { type: 'ping' }
  | { type: 'answer_blocker'; blockerId: string; answer: string };

export type Parsed = { ok: true; message: ClientMessage } | { ok: false; error: string };

const fail = (error: string): Parsed => ({ ok: false, error });

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

export function parseClientFrame(text: string): Parsed {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return fail('malformed frame: not JSON');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return fail('malformed frame: expected a JSON object with a "type"');
  }
  const f = frame as Record<string, unknown>;
  switch (f.type) {
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    case 'subscribe': {
      if (!nonEmptyString(f.project_id))
        return fail('subscribe: "project_id" must be a non-empty string');
      const problem = projectIdProblem(f.project_id);
      if (problem) return fail(`subscribe: ${problem}`);
      const lastSeq = f.last_seq ?? 0;
      if (typeof lastSeq !== 'number' || !Number.isSafeInteger(lastSeq) || lastSeq < 0) {
        return fail('subscribe: "last_seq" must be a non-negative integer');
      }
      return { ok: true, message: { type: 'subscribe', projectId: f.project_id, lastSeq } };
    }
    case 'unsubscribe': {
      if (!nonEmptyString(f.project_id))
        return fail('unsubscribe: "project_id" must be a non-empty string');
      const problem = projectIdProblem(f.project_id);
      if (problem) return fail(`unsubscribe: ${problem}`);
      return { ok: true, message: { type: 'unsubscribe', projectId: f.project_id } };
    }
    case 'answer_blocker':
      if (!nonEmptyString(f.blocker_id))
        return fail('answer_blocker: "blocker_id" must be a non-empty string');
      if (!nonEmptyString(f.answer))
        return fail('answer_blocker: "answer" must be a non-empty string');
      return {
        ok: true,
        message: { type: 'answer_blocker', blockerId: f.blocker_id, answer: f.answer },
      };
    case undefined:
      return fail('malformed frame: missing "type"');
    default:
      return fail(
        `unknown message type ${JSON.stringify(f.type)}: expected subscribe, unsubscribe, ping or answer_blocker`,
      );
  }
}
