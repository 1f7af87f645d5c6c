import { serverSettings } from '@codeframe/rpc';
import { env } from '@codeframe/runtime';

/** What every worker service reads from its environment. */
export function workerSettings(defaultPort: number) {
  return {
    ...serverSettings(defaultPort),
    capacity: env.int('CODEFRAME_WORKER_CAPACITY', 4, 1, 1024),
    /** Stable identity of the replica; defaults to kind@host:port. */
    workerId: env.optional('CODEFRAME_WORKER_ID'),
    model: env.string('CODEFRAME_MODEL', 'claude-sonnet-5-5'),
  };
}
