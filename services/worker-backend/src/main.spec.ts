import { describeWorkerConformance } from '@codeframe/testkit';
import { backendRole } from './role.js';

describeWorkerConformance({
  entry: 'services/worker-backend/dist/main.js',
  kind: 'backend',
  systemPrompt: backendRole.systemPrompt,
});
