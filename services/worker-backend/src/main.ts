import { runWorker } from '@codeframe/agent';
import { TaskKind } from '@codeframe/proto';
import { packageVersion } from '@codeframe/runtime';

await runWorker({
  name: 'worker-backend',
  kind: TaskKind.BACKEND,
  version: packageVersion(import.meta.url),
  defaultPort: 7101,
});
