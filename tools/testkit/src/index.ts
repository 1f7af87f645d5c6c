export {
  type Cluster,
  type ClusterOptions,
  leadClient,
  mutualTlsEnv,
  projectEnded,
  startCluster,
  watchLead,
  watchUntil,
} from './cluster.js';
export { freePort } from './free-port.js';
export { fuzzCases, fuzzSeed, Rng } from './fuzz.js';
export {
  type GrpcJsReflectionResponse,
  grpcJsClient,
  grpcJsHealthCheck,
  grpcJsReflect,
  grpcJsUnary,
  PROTO_ROOT,
} from './grpc-js-client.js';
export {
  decodeExportRequest,
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from './otlp-receiver.js';
export {
  postgresUnavailable,
  startTestPostgres,
  type TestPostgres,
  type TestPostgresOptions,
} from './postgres-cluster.js';
export {
  type ConformanceOptions,
  describeServiceConformance,
  describeWorkerConformance,
  seedBareRepo,
} from './service-conformance.js';
export {
  type LogLine,
  runToExit,
  type ServiceProcess,
  type StartOptions,
  startServiceProcess,
  WORKSPACE_ROOT,
} from './service-process.js';
export { pushTask, testGit } from './task-branch.js';
export { makeTestCerts, type TestCerts } from './test-certs.js';
export { HERE, type Link, netnsUnavailable, TestNetwork } from './test-network.js';
