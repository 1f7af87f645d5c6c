import type { IncomingMessage } from 'node:http';
import type { MessagesRequest } from './brain.js';
import type { Fault } from './faults.js';

/** One POST /v1/messages as the server received it, so tests can assert on what was sent. */
export interface RecordedRequest {
  /** 0-based, in the order the bodies arrived; also `BrainContext.requestIndex`. */
  index: number;
  time: Date;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The parsed body; `{}` when it was not a JSON object (see `rejected`). */
  body: MessagesRequest;
  /** The fault this request took, if any. */
  fault?: Fault['kind'];
  /** Why the body was refused with 400 (or 413), when it was. */
  rejected?: string;
}

export function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
