export {
  serialiseEvent,
  toBrowserEvent,
  toBrowserProject,
  toBrowserSnapshot,
  toBrowserTask,
} from './browser-event.js';
export type {
  BrowserEvent,
  BrowserEventType,
  BrowserSnapshot,
  ClientFrame,
  PayloadCase,
  Recovery,
  ServerFrame,
} from './browser-protocol.js';
export { CloseCode } from './browser-protocol.js';
export {
  type EdgeGrant,
  EdgeTokenError,
  grantAllows,
  signEdgeToken,
  verifyEdgeToken,
} from './edge-token.js';
export { EventRing } from './event-ring.js';
export type { SnakeCase, SnakeKeys } from './snake-keys.js';
