import type { TaskKind, WorkerService } from '@codeframe/proto';
import type { ServiceImpl } from '@connectrpc/connect';
import type { Capacity } from './capacity.js';

export interface WorkerIdentity {
  kind: TaskKind;
  version: string;
  workerId: string;
  model: string;
}

/**
 * The WorkerService of one replica. ExecuteTask arrives with the agent loop (worker-services
 * issue); until then the router answers it UNIMPLEMENTED.
 */
export function workerService(
  identity: WorkerIdentity,
  capacity: Capacity,
): Partial<ServiceImpl<typeof WorkerService>> {
  return {
    describe: () => ({
      kind: identity.kind,
      version: identity.version,
      capacity: capacity.limit,
      load: capacity.load,
      workerId: identity.workerId,
      model: identity.model,
    }),
  };
}
