// SQLite's storage faults as the store's own errors. A full disk, a lock held by another
// process, a read-only file or an I/O error fail the one operation (SQLite rolled it back),
// say what happened and what to do, and pass: the same call succeeds once the cause is gone.
import { StoreError } from './store.js';

/** The StoreError for a storage fault of SQLite; any other error as it was. */
export function storageFault(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const base = code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1');
  const options = { cause: err };
  switch (base) {
    case 'SQLITE_FULL':
      return new StoreError(
        'exhausted',
        `the lead's database is full (${code}): free space on the disk of the data directory; nothing of this call was written, and it can be made again`,
        options,
      );
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new StoreError(
        'unavailable',
        `the lead's database is locked by another connection (${code}); nothing of this call was written, try again`,
        options,
      );
    case 'SQLITE_READONLY':
      return new StoreError(
        'unavailable',
        `the lead's database is read-only (${code}): make the data directory writable; nothing of this call was written`,
        options,
      );
    case 'SQLITE_IOERR':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PROTOCOL':
      return new StoreError(
        'unavailable',
        `the lead's database could not be read or written (${code}): check the disk of the data directory; nothing of this call was written`,
        options,
      );
    default:
      return err;
  }
}

/** Runs `work`, turning SQLite's storage faults into StoreErrors. */
export function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    throw storageFault(err);
  }
}
