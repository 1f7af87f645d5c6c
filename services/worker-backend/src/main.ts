import { runWorker } from '@codeframe/agent';
import { packageVersion } from '@codeframe/runtime';
import { backendRole } from './role.js';

await runWorker({
  name: 'worker-backend',
  version: packageVersion(import.meta.url),
  defaultPort: 7101,
  role: backendRole,
});
