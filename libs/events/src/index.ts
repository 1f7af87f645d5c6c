export {
  serialiseEvent,
  toBrowserEvent,
  toBrowserProject,
  toBrowserSnapshot,
  toBrowserTask,
} from './browser-event.js';
export {
  type EdgeGrant,
  EdgeTokenError,
  grantAllows,
  signEdgeToken,
  verifyEdgeToken,
} from './edge-token.js';
export { EventRing } from './event-ring.js';
// The browser-safe part, also importable alone as `@codeframe/events/view`.
export * from './view.js';
