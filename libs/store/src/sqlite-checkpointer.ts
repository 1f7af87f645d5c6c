// Checkpoints of a store's write-ahead log, off the event loop. A checkpoint copies the WAL
// back into the database file (and syncs it); by default SQLite runs one inside the commit
// that grows the WAL past 1,000 pages, on the thread that commits, and the lead's event loop
// stalled there 5–15 ms every few hundred commits (a single append's p99.9 was 4.8–5.6 ms,
// 1.9–2.2 ms with the thread; libs/store README). The store's connection checkpoints
// no more by itself; a thread with a connection of its own does, every CHECK_MS, without
// blocking the writer. Should the thread stop, the connection checkpoints by itself again,
// so the WAL never grows without bound.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { CHECKPOINT_THREAD_SOURCE } from './sqlite-checkpoint-thread.js';

/** How often the thread checkpoints. A PASSIVE checkpoint with nothing to copy costs a few µs. */
const CHECK_MS = 100;
/** SQLite's own default: a checkpoint in the commit that grows the WAL past this many pages. */
const AUTOCHECKPOINT_PAGES = 1000;
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

type ThreadMessage = { type: 'failed'; message: string };

export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #stopped: Promise<void>;
  #closing = false;
  /** The last failure the thread reported (a failed checkpoint, or why it stopped). */
  lastFailure: string | undefined;

  /** Starts the thread for the file `db` has open, and turns the connection's own off. */
  constructor(db: Database) {
    db.pragma('wal_autocheckpoint = 0');
    this.#worker = new Worker(CHECKPOINT_THREAD_SOURCE, {
      eval: true,
      workerData: { sqlite: BETTER_SQLITE3, path: db.name, everyMs: CHECK_MS },
    });
    this.#worker.on('message', (message: ThreadMessage) => {
      this.lastFailure = message.message;
    });
    this.#stopped = new Promise((resolve) => {
      const stopped = (why: string) => {
        // Checkpoints go back to the commits that grow the WAL, as without the thread.
        if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
        if (!this.#closing) this.lastFailure ??= why;
        resolve();
      };
      this.#worker.on('error', (err) => stopped(`the checkpoint thread failed: ${err.message}`));
      this.#worker.on('exit', () => stopped('the checkpoint thread exited'));
    });
    // What the store is used for keeps the process alive, never this thread. After the
    // listeners: adding a 'message' listener refs a Worker again.
    this.#worker.unref();
  }

  /** Settles once the thread has stopped, after close() or a failure of its own. */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  /** Runs a last checkpoint and ends the thread; the store's connection closes after it. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#worker.postMessage('close');
    await this.#stopped;
  }
}
