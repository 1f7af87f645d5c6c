// The lead's durable state. The contract suite (store.contract.ts) is not exported here: it
// imports vitest; implementations import it from the source file in their specs.
export { databaseUrlSetting, openStore } from './open-store.js';
export type { LeaseSettings } from './pg-leases.js';
export { openPgStore, type PgStoreOptions } from './pg-store.js';
export { assertStorablePlan } from './plan-validation.js';
export { openSqliteStore } from './sqlite-store.js';
export {
  type Attempt,
  type AttemptEnd,
  type EventPayload,
  isFenced,
  isStorageFault,
  type NewProject,
  type PlannedTask,
  type ProjectLeases,
  type ProjectOwner,
  type RepoCredentials,
  type StateChange,
  type Store,
  StoreError,
  type StoreErrorCode,
  type TaskPatch,
} from './store.js';
