import {
  createRegistry,
  type DescFile,
  type DescService,
  type Registry,
  toBinary,
} from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { reflectionV1, reflectionV1alpha } from '@codeframe/proto';
import { Code, type ConnectRouter } from '@connectrpc/connect';

/** Longest file or symbol name answered; a longer one is INVALID_ARGUMENT. */
const MAX_NAME_LENGTH = 512;
/** Requests answered on one stream; past that the stream ends with RESOURCE_EXHAUSTED. */
export const MAX_REFLECTION_REQUESTS_PER_STREAM = 1000;

interface Served {
  types: Registry;
  /** By file name with its `.proto` (DescFile.name has none). */
  files: Map<string, DescFile>;
}

type Request = reflectionV1.ServerReflectionRequest | reflectionV1alpha.ServerReflectionRequest;
type Answer = Omit<
  reflectionV1.ServerReflectionResponse,
  '$typeName' | 'originalRequest'
>['messageResponse'];

/**
 * grpc.reflection.v1 and v1alpha ServerReflection over the file descriptors of the
 * services served (and their dependencies), so clients such as grpcurl can list and
 * describe them without the .proto files. Unknown names are answered with an
 * ErrorResponse of NOT_FOUND on the stream, as the gRPC spec asks.
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const all = [...services, reflectionV1.ServerReflection, reflectionV1alpha.ServerReflection];
  const fileList = uniqueFiles(all.map((s) => s.file));
  const registry: Served = {
    types: createRegistry(...fileList),
    files: new Map(fileList.map((f) => [f.proto.name, f])),
  };
  const names = [...new Set(all.map((s) => s.typeName))].sort();
  const impl = {
    async *serverReflectionInfo(requests: AsyncIterable<Request>) {
      const sent = new Set<string>();
      let count = 0;
      for await (const request of requests) {
        if (++count > MAX_REFLECTION_REQUESTS_PER_STREAM) {
          yield reply(
            request,
            error(
              Code.ResourceExhausted,
              `more than ${MAX_REFLECTION_REQUESTS_PER_STREAM} requests on one reflection stream: open a new one`,
            ),
          );
          return;
        }
        yield reply(request, answer(registry, names, request, sent));
      }
    },
  };
  router.service(reflectionV1.ServerReflection, impl as never);
  router.service(reflectionV1alpha.ServerReflection, impl as never);
}

function reply(request: Request, messageResponse: Answer) {
  const { $typeName: _, ...originalRequest } = request;
  return { validHost: request.host, originalRequest, messageResponse };
}

function error(code: Code, errorMessage: string): Answer {
  return { case: 'errorResponse', value: { errorCode: code, errorMessage } as never };
}

function answer(registry: Served, services: string[], request: Request, sent: Set<string>): Answer {
  const req = request.messageRequest;
  if (req.case === 'listServices') {
    return {
      case: 'listServicesResponse',
      value: { service: services.map((name) => ({ name })) } as never,
    };
  }
  if (req.case === undefined) {
    return error(
      Code.InvalidArgument,
      'the reflection request names no question (set one of file_by_filename, file_containing_symbol, file_containing_extension, all_extension_numbers_of_type, list_services)',
    );
  }
  const name = req.case === 'fileContainingExtension' ? req.value.containingType : req.value;
  if (name.length > MAX_NAME_LENGTH) {
    return error(
      Code.InvalidArgument,
      `the name in ${req.case} is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`,
    );
  }
  const shown = JSON.stringify(name);
  switch (req.case) {
    case 'fileByFilename': {
      const file = registry.files.get(name);
      if (!file) return error(Code.NotFound, `no file ${shown} is served here`);
      return files(file, sent);
    }
    case 'fileContainingSymbol': {
      const file = fileOfSymbol(registry, name);
      if (!file) return error(Code.NotFound, `no symbol ${shown} is served here`);
      return files(file, sent);
    }
    case 'fileContainingExtension': {
      const message = registry.types.getMessage(name);
      if (!message) return error(Code.NotFound, `no message type ${shown} is served here`);
      const ext = registry.types.getExtensionFor(message, req.value.extensionNumber);
      if (!ext)
        return error(
          Code.NotFound,
          `no extension ${req.value.extensionNumber} of ${shown} is served here`,
        );
      return files(ext.file, sent);
    }
    case 'allExtensionNumbersOfType': {
      const message = registry.types.getMessage(name);
      if (!message) return error(Code.NotFound, `no message type ${shown} is served here`);
      const numbers: number[] = [];
      for (const file of registry.files.values()) {
        for (const ext of allExtensions(file))
          if (ext.extendee.typeName === name) numbers.push(ext.number);
      }
      return {
        case: 'allExtensionNumbersResponse',
        value: { baseTypeName: name, extensionNumber: numbers } as never,
      };
    }
  }
}

/** The file declaring a type, service, method, field, enum value or extension by full name. */
function fileOfSymbol(registry: Served, name: string): DescFile | undefined {
  const found = registry.types.get(name);
  if (found)
    return found.kind === 'service' ||
      found.kind === 'message' ||
      found.kind === 'enum' ||
      found.kind === 'extension'
      ? found.file
      : undefined;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const parent = registry.types.get(name.slice(0, dot));
  const member = name.slice(dot + 1);
  if (parent?.kind === 'service')
    return parent.methods.some((m) => m.name === member) ? parent.file : undefined;
  if (parent?.kind === 'message') {
    return parent.fields.some((f) => f.name === member) ||
      parent.oneofs.some((o) => o.name === member)
      ? parent.file
      : undefined;
  }
  return undefined;
}

/** The file then its transitive dependencies, less those already sent on this stream. */
function files(file: DescFile, sent: Set<string>): Answer {
  const out: Uint8Array[] = [toBinary(FileDescriptorProtoSchema, file.proto)];
  sent.add(file.proto.name);
  const walk = (f: DescFile) => {
    for (const dep of f.dependencies) {
      if (sent.has(dep.proto.name)) continue;
      sent.add(dep.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, dep.proto));
      walk(dep);
    }
  };
  walk(file);
  return { case: 'fileDescriptorResponse', value: { fileDescriptorProto: out } as never };
}

function* allExtensions(file: DescFile) {
  yield* file.extensions;
  const inMessages = function* (
    messages: DescFile['messages'],
  ): Generator<DescFile['extensions'][number]> {
    for (const m of messages) {
      yield* m.nestedExtensions;
      yield* inMessages(m.nestedMessages);
    }
  };
  yield* inMessages(file.messages);
}

/** Files with their dependencies, each once, dependencies first (as createFileRegistry wants). */
function uniqueFiles(roots: DescFile[]): DescFile[] {
  const seen = new Set<string>();
  const out: DescFile[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    for (const dep of f.dependencies) visit(dep);
    out.push(f);
  };
  for (const f of roots) visit(f);
  return out;
}
