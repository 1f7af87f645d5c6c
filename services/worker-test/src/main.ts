import { runWorker } from '@codeframe/agent';
import { packageVersion } from '@codeframe/runtime';
import { testRole } from './role.js';

await runWorker({
  name: 'worker-test',
  version: packageVersion(import.meta.url),
  defaultPort: 7103,
  role: testRole,
});
