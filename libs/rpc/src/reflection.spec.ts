import { grpcJsReflect } from '@codeframe/testkit';
import { describe, expect, it } from 'vitest';
import { MAX_REFLECTION_REQUESTS_PER_STREAM } from './reflection.js';
import { startWorker } from './rpc-server.fixture.js';

describe('grpc.reflection on startRpcServer', () => {
  it('describes a method and a message field by full name, with the file first', async () => {
    const { server } = await startWorker();
    const [method, field] = await grpcJsReflect(`127.0.0.1:${server.port}`, [
      { fileContainingSymbol: 'codeframe.v1.WorkerService.ExecuteTask' },
      { fileContainingSymbol: 'codeframe.v1.Task.title' },
    ]);
    expect(method?.fileDescriptorResponse?.fileDescriptorProto.length).toBeGreaterThan(1);
    // The second answer names the file again; its dependencies were sent on this stream.
    expect(field?.fileDescriptorResponse?.fileDescriptorProto).toHaveLength(1);
  });

  it('answers file_by_filename with the file and its dependencies, NOT_FOUND for another', async () => {
    const { server } = await startWorker();
    const [file, missing] = await grpcJsReflect(`127.0.0.1:${server.port}`, [
      { fileByFilename: 'codeframe/v1/worker.proto' },
      { fileByFilename: 'codeframe/v1/worker' },
    ]);
    expect(file?.fileDescriptorResponse?.fileDescriptorProto.length).toBeGreaterThan(1);
    expect(missing?.errorResponse).toEqual({
      errorCode: 5,
      errorMessage: 'no file "codeframe/v1/worker" is served here',
    });
  });

  it('needs the bearer token like any call but health', async () => {
    const { server } = await startWorker({ authToken: 's3cret' });
    await expect(
      grpcJsReflect(`127.0.0.1:${server.port}`, [{ listServices: '' }]),
    ).rejects.toMatchObject({ code: 16 });
  });

  it(`answers ${MAX_REFLECTION_REQUESTS_PER_STREAM} requests on a stream, then ends it with RESOURCE_EXHAUSTED`, async () => {
    const { server } = await startWorker();
    const requests = Array.from({ length: MAX_REFLECTION_REQUESTS_PER_STREAM + 5 }, () => ({
      fileByFilename: 'codeframe/v1/worker.proto',
    }));
    const answers = await grpcJsReflect(`127.0.0.1:${server.port}`, requests);
    expect(answers).toHaveLength(MAX_REFLECTION_REQUESTS_PER_STREAM + 1);
    expect(answers.at(-1)?.errorResponse?.errorCode).toBe(8);
    expect(answers.at(-2)?.fileDescriptorResponse).toBeDefined();
  });
});
