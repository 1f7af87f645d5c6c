// The body of the thread that checkpoints a store's write-ahead log (sqlite-checkpointer.ts),
// as the source a Worker evaluates: plain CommonJS, no imports of ours. It opens the file
// with a connection of its own and, every `everyMs`, runs a PASSIVE checkpoint, which copies
// what it can of the WAL into the database file without waiting for (or blocking) the
// store's writer. Messages:
//   in:  workerData { sqlite (the path of better-sqlite3), path, everyMs }; 'close'
//   out: { type: 'failed', message } once per run of failures (the next success ends it);
//        the thread exits after the last checkpoint, its connection closed

export const CHECKPOINT_THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { fileMustExist: true });
let failing = false;
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failing = false;
  } catch (err) {
    if (!failing) parentPort.postMessage({ type: 'failed', message: String(err && err.message) });
    failing = true;
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;
