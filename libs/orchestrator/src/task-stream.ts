import type { ExecuteTaskRequest, TaskEvent, WorkerService } from '@codeframe/proto';
import { type Client, Code, ConnectError } from '@connectrpc/connect';

/**
 * A task's events from its worker, in order: ExecuteTaskBatches (the events grouped as they
 * were ready, for much less per event on both sides), or ExecuteTask from a worker without
 * it (UNIMPLEMENTED before any event: a worker of before it, or one in another language).
 * Returning from it ends the worker's stream.
 */
export async function* taskStream(
  worker: Pick<Client<typeof WorkerService>, 'executeTask' | 'executeTaskBatches'>,
  request: ExecuteTaskRequest,
  signal: AbortSignal,
): AsyncGenerator<TaskEvent, void, undefined> {
  let started = false;
  try {
    for await (const batch of worker.executeTaskBatches(request, { signal })) {
      started = true;
      yield* batch.events;
    }
    return;
  } catch (err) {
    if (started || ConnectError.from(err).code !== Code.Unimplemented) throw err;
  }
  yield* worker.executeTask(request, { signal });
}
