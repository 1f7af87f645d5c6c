import { runWorker } from '@codeframe/agent';
import { packageVersion } from '@codeframe/runtime';
import { frontendRole } from './role.js';

await runWorker({
  name: 'worker-frontend',
  version: packageVersion(import.meta.url),
  defaultPort: 7102,
  role: frontendRole,
});
