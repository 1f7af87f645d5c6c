import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { afterAll, describe, expect, it } from 'vitest';
import { EventSchema, LeadService, TaskStatus, WorkerService } from './index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const buf = join(root, 'node_modules/.bin/buf');
const env = { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}` };

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('generated code', () => {
  let out: string | undefined;
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('matches what buf generate produces from proto/', async () => {
    out = await mkdtemp(join(tmpdir(), 'codeframe-gen-'));
    await run(buf, ['generate', '--output', out], { cwd: root, env });
    const committed = join(root, 'libs/proto/src/gen');
    const fresh = join(out, 'libs/proto/src/gen');
    const files = await listFiles(fresh);
    expect(await listFiles(committed), 'files in libs/proto/src/gen').toEqual(files);
    for (const file of files) {
      const want = await readFile(join(fresh, file), 'utf8');
      const have = await readFile(join(committed, file), 'utf8');
      expect(have, `${file} is stale: run npm run generate`).toBe(want);
    }
  });

  it('passes buf lint', async () => {
    await expect(run(buf, ['lint'], { cwd: root, env })).resolves.toBeDefined();
  });

  it('round-trips an event through the binary format', () => {
    const event = create(EventSchema, {
      projectId: 'p1',
      seq: 42n,
      payload: {
        case: 'taskStatusChanged',
        value: { taskId: 't1', from: TaskStatus.PENDING, to: TaskStatus.ASSIGNED },
      },
    });
    const back = fromBinary(EventSchema, toBinary(EventSchema, event));
    expect(back.seq).toBe(42n);
    expect(back.payload.case).toBe('taskStatusChanged');
  });

  it('describes the services of the architecture', () => {
    expect(Object.keys(WorkerService.method).sort()).toEqual([
      'describe',
      'executeTask',
      'executeTaskBatches',
      'verifyCommit',
    ]);
    expect(LeadService.method.watchEvents.methodKind).toBe('server_streaming');
    expect(LeadService.method.watchEventBatches.methodKind).toBe('server_streaming');
    expect(WorkerService.method.executeTask.methodKind).toBe('server_streaming');
    expect(WorkerService.method.executeTaskBatches.methodKind).toBe('server_streaming');
    expect(WorkerService.method.verifyCommit.methodKind).toBe('unary');
    expect(LeadService.method.getArtifact.methodKind).toBe('unary');
  });
});
