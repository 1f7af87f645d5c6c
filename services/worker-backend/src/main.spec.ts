import { describeWorkerConformance } from '@codeframe/testkit';

describeWorkerConformance({ entry: 'services/worker-backend/dist/main.js', kind: 'backend' });
