// Calls CodeFRAME services from @grpc/grpc-js, a gRPC implementation independent of the
// servers' own (connect-node), loading the same .proto files any polyglot client would.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_ROOT = fileURLToPath(new URL('../../../proto', import.meta.url));

type ServiceClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

const loaded = new Map<string, grpc.GrpcObject>();

function packageOf(protoFile: string): grpc.GrpcObject {
  let pkg = loaded.get(protoFile);
  if (!pkg) {
    const definition = protoLoader.loadSync(protoFile, {
      includeDirs: [PROTO_ROOT],
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    pkg = grpc.loadPackageDefinition(definition);
    loaded.set(protoFile, pkg);
  }
  return pkg;
}

/** A grpc-js client for `fullName` (e.g. "codeframe.v1.WorkerService") at host:port. */
export function grpcJsClient(protoFile: string, fullName: string, address: string): ServiceClient {
  let node: unknown = packageOf(protoFile);
  for (const part of fullName.split('.')) node = (node as Record<string, unknown>)[part];
  const Ctor = node as grpc.ServiceClientConstructor;
  return new Ctor(address, grpc.credentials.createInsecure()) as unknown as ServiceClient;
}

/** Calls a unary method; resolves the response or rejects with the grpc-js ServiceError. */
export function grpcJsUnary<T = Record<string, unknown>>(
  client: ServiceClient,
  method: string,
  request: object,
  metadata: Record<string, string> = {},
): Promise<T> {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  const deadline = new Date(Date.now() + 10_000);
  return new Promise((resolve, reject) => {
    const fn = client[method] as (
      req: object,
      md: grpc.Metadata,
      options: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res: T) => void,
    ) => void;
    fn.call(client, request, md, { deadline }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** grpc.health.v1.Health/Check from grpc-js; resolves the status name, e.g. "SERVING". */
export async function grpcJsHealthCheck(address: string, service = ''): Promise<string> {
  const client = grpcJsClient('grpc/health/v1/health.proto', 'grpc.health.v1.Health', address);
  try {
    const res = await grpcJsUnary<{ status: string }>(client, 'Check', { service });
    return res.status;
  } finally {
    client.close();
  }
}

/** A ServerReflectionResponse as grpc-js decodes it (camelCase, bytes as Buffers). */
export interface GrpcJsReflectionResponse {
  messageResponse: string;
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  listServicesResponse?: { service: { name: string }[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/**
 * Sends `requests` on one grpc.reflection ServerReflectionInfo stream (v1 or v1alpha), as
 * grpcurl does, and resolves every response once the server ends the stream.
 */
export function grpcJsReflect(
  address: string,
  requests: object[],
  version: 'v1' | 'v1alpha' = 'v1',
): Promise<GrpcJsReflectionResponse[]> {
  const client = grpcJsClient(
    `grpc/reflection/${version}/reflection.proto`,
    `grpc.reflection.${version}.ServerReflection`,
    address,
  );
  const call = (
    client.ServerReflectionInfo as () => grpc.ClientDuplexStream<object, GrpcJsReflectionResponse>
  ).call(client);
  const responses: GrpcJsReflectionResponse[] = [];
  return new Promise<GrpcJsReflectionResponse[]>((resolve, reject) => {
    call.on('data', (res: GrpcJsReflectionResponse) => responses.push(res));
    call.on('error', reject);
    call.on('end', () => resolve(responses));
    for (const request of requests) call.write(request);
    call.end();
  }).finally(() => client.close());
}
