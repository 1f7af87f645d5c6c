// The contracts of every CodeFRAME service, generated from proto/ by `npm run generate`.
// Do not edit src/gen by hand: the generated-code test fails when it drifts from proto/.
// Beside them, the plain form of a Usage that every part adds up (usage.ts).
export * from './gen/codeframe/v1/events_pb.js';
export * from './gen/codeframe/v1/lead_pb.js';
export * from './gen/codeframe/v1/types_pb.js';
export * from './gen/codeframe/v1/worker_pb.js';
export * from './gen/grpc/health/v1/health_pb.js';
export * as reflectionV1 from './gen/grpc/reflection/v1/reflection_pb.js';
export * as reflectionV1alpha from './gen/grpc/reflection/v1alpha/reflection_pb.js';
export { encodingOf, rememberEncoding } from './message-encoding.js';
export * from './usage.js';
export { fromProtoUsage, toProtoUsage } from './usage-wire.js';
