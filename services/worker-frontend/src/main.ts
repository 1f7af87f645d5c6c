import { runWorker } from '@codeframe/agent';
import { TaskKind } from '@codeframe/proto';
import { packageVersion } from '@codeframe/runtime';

await runWorker({
  name: 'worker-frontend',
  kind: TaskKind.FRONTEND,
  version: packageVersion(import.meta.url),
  defaultPort: 7102,
});
