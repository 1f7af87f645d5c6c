/**
 * A request the client got wrong (a malformed id, a bad escape): answered 400 with this
 * message, never logged as the edge's fault.
 */
export class BadRequest extends Error {
  override name = 'BadRequest';
}
