export { Capacity } from './capacity.js';
export { runWorker, type WorkerDefinition } from './run-worker.js';
export { type WorkerIdentity, workerService } from './worker-service.js';
export { workerSettings } from './worker-settings.js';
