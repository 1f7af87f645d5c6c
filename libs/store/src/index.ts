// The lead's durable state. The contract suite (store.contract.ts) is not exported here: it
// imports vitest; implementations import it from the source file in their specs.
export { storedEncoding } from './event-encoding.js';
export { databaseUrlSetting, openStore } from './open-store.js';
export { openPgStore } from './pg-store.js';
export { validatePlan } from './plan-validation.js';
export { openSqliteStore } from './sqlite-store.js';
export {
  type Attempt,
  type AttemptEnd,
  type EventPayload,
  isStorageFault,
  type NewProject,
  type PlannedTask,
  type RepoCredentials,
  type Store,
  StoreError,
  type StoreErrorCode,
  type TaskPatch,
  type UsageDelta,
} from './store.js';
