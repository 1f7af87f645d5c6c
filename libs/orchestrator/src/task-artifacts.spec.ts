import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { BrowserCheckSchema } from '@codeframe/proto';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ARTIFACT_BYTES, TaskArtifacts } from './task-artifacts.js';

// What a worker sends as a screenshot is hostile: only a PNG within the cap is kept, under a
// name the lead makes; ids that are not the lead's never reach the file system.

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(100, 7)]);
const task = { id: 't-1', projectId: 'p-1' };
let dir: string;
let artifacts: TaskArtifacts;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'artifacts-'));
  artifacts = new TaskArtifacts(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const check = (png: Uint8Array, attempt = 0) =>
  create(BrowserCheckSchema, {
    taskId: task.id,
    screenshotPng: png,
    attempt,
    screenshot: 'x/../../evil',
  });

describe('TaskArtifacts', () => {
  it('keeps a PNG under its own name, clears the bytes, and lists it', async () => {
    const kept = await artifacts.keepScreenshot(task, 2, check(PNG, 1));
    expect(kept.screenshot).toBe('t-1/2-1-screenshot.png');
    expect(kept.screenshotPng).toHaveLength(0);
    expect(await artifacts.list(task)).toEqual(['t-1/2-1-screenshot.png']);
    const read = await artifacts.read(kept.screenshot, async () => task);
    expect(read.content.equals(PNG)).toBe(true);
  });

  it('drops what is not a PNG or is larger than the cap, and the name the worker sent', async () => {
    const notPng = await artifacts.keepScreenshot(task, 3, check(Buffer.from('<svg onload=x>')));
    const huge = Buffer.concat([PNG, Buffer.alloc(MAX_ARTIFACT_BYTES)]);
    const big = await artifacts.keepScreenshot(task, 4, check(huge));
    expect([notPng.screenshot, big.screenshot]).toEqual(['', '']);
    expect(await readdir(join(dir, 'artifacts', 'p-1', 't-1'))).toEqual(['2-1-screenshot.png']);
  });

  it("refuses ids that are not the lead's, and answers NOT_FOUND for one it does not have", async () => {
    for (const id of [
      't-1/../../lead.sqlite',
      '../t-1/2-1-screenshot.png',
      't-1/2-1-screenshot.png/x',
      't-1/a.png',
    ]) {
      const err = await artifacts.read(id, async () => task).catch((e) => e);
      expect(ConnectError.from(err).code).toBe(Code.InvalidArgument);
    }
    const missing = await artifacts
      .read('t-1/9-9-screenshot.png', async () => task)
      .catch((e) => e);
    expect(ConnectError.from(missing).code).toBe(Code.NotFound);
    const noTask = await artifacts
      .read('t-2/2-1-screenshot.png', async () => undefined)
      .catch((e) => e);
    expect(ConnectError.from(noTask).code).toBe(Code.NotFound);
  });
});
