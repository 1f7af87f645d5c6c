import { describeWorkerConformance } from '@codeframe/testkit';

describeWorkerConformance({ entry: 'services/worker-frontend/dist/main.js', kind: 'frontend' });
