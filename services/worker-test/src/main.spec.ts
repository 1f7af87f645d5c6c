import { describeWorkerConformance } from '@codeframe/testkit';
import { testRole } from './role.js';

describeWorkerConformance({
  entry: 'services/worker-test/dist/main.js',
  kind: 'test',
  systemPrompt: testRole.systemPrompt,
});
