import { describeWorkerConformance } from '@codeframe/testkit';

describeWorkerConformance({ entry: 'services/worker-test/dist/main.js', kind: 'test' });
