import { describeWorkerConformance } from '@codeframe/testkit';
import { frontendRole } from './role.js';

describeWorkerConformance({
  entry: 'services/worker-frontend/dist/main.js',
  kind: 'frontend',
  systemPrompt: frontendRole.systemPrompt,
});
