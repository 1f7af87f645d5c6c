// The edge's own WebSocket close codes. Duplicated from `CloseCode` in
// libs/events/src/browser-protocol.ts (a runtime const there, so importing it would pull
// protobuf into the bundle); keep the numbers in step with that file.
export const CloseCode = {
  /** The token expired while the socket was open. */
  Unauthorized: 4001,
  /** The client sent too many malformed frames. */
  TooManyErrors: 4002,
  /** The client did not read fast enough. */
  TooSlow: 4003,
  /** The client kept asking past a per-connection limit. */
  LimitExceeded: 4004,
} as const;

/** Used by this page when it gives up on a silent socket (any 4000–4999 code is ours to use). */
export const NO_HEARTBEAT_CLOSE = 4000;
