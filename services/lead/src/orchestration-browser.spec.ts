import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brokenPageBrain } from '@codeframe/fake-anthropic';
import { type BrowserCheck, ProjectStatus, TaskStatus } from '@codeframe/proto';
import { type Cluster, runToExit, startCluster, watchUntil } from '@codeframe/testkit';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = 'tools/cli/dist/main.js';

// A frontend task end to end: the worker-frontend opens the page in Chromium, the first page
// throws, the correction fixes it; the lead keeps both screenshots as the task's artifacts
// (the log holds their ids, not their bytes) and serves them with GetArtifact.

describe('a frontend task checked in a real browser', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(brokenPageBrain);
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('fails the page that throws, completes the fixed one, and keeps both screenshots', async () => {
    const { client } = cluster;
    const { project } = await client.createProject({ prd: '# Greeting\nA page that greets.' });
    const projectId = project!.id;
    await client.startProject({ projectId });
    const events = await watchUntil(
      cluster,
      projectId,
      0n,
      (e) =>
        e.payload.case === 'projectStatus' &&
        [ProjectStatus.COMPLETED, ProjectStatus.FAILED].includes(e.payload.value.status),
    );
    const final = events.at(-1)!.payload;
    expect(final.case === 'projectStatus' && ProjectStatus[final.value.status]).toBe('COMPLETED');
    const checks = events
      .map((e) => (e.payload.case === 'browserCheck' ? e.payload.value : undefined))
      .filter((c): c is BrowserCheck => c !== undefined);
    expect(checks.map((c) => [c.passed, c.attempt, c.missing])).toEqual([
      [false, 0, ['#greeting']],
      [true, 1, []],
    ]);
    expect(checks[0]!.consoleErrors[0]).toMatch(/^uncaught TypeError: .*innerHTML/);
    // The log keeps the artifact's id, never the bytes.
    expect(checks.map((c) => c.screenshotPng.length)).toEqual([0, 0]);
    const { tasks } = await client.listTasks({ projectId });
    expect(tasks.map((t) => TaskStatus[t.status])).toEqual(['COMPLETED']);
    expect(tasks[0]!.artifacts).toEqual(checks.map((c) => c.screenshot));
    expect(tasks[0]!.artifacts).toEqual([
      `${tasks[0]!.id}/1-0-screenshot.png`,
      `${tasks[0]!.id}/1-1-screenshot.png`,
    ]);
    for (const id of tasks[0]!.artifacts) {
      const artifact = await client.getArtifact({ artifactId: id });
      expect(artifact).toMatchObject({ projectId, taskId: tasks[0]!.id, mediaType: 'image/png' });
      expect(Buffer.from(artifact.content.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    }
    const refused = await client
      .getArtifact({ artifactId: `${tasks[0]!.id}/../../lead.sqlite` })
      .catch((e) => e);
    expect(ConnectError.from(refused).code).toBe(Code.InvalidArgument);
    // The CLI lists the task's artifacts and saves one.
    const cli = (args: string[]) =>
      runToExit(CLI, { CODEFRAME_LEAD_URL: cluster.leadUrl }, { args, timeoutMs: 30_000 });
    const listed = await cli(['tasks', projectId]);
    expect(listed.stdout).toContain(`artifacts of page: ${tasks[0]!.artifacts.join(' ')}`);
    const file = join(cluster.dir, 'shot.png');
    const saved = await cli(['artifact', tasks[0]!.artifacts[1]!, '-o', file]);
    expect(saved.code).toBe(0);
    expect((await readFile(file)).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const missing = await client
      .getArtifact({ artifactId: `${tasks[0]!.id}/9-9-screenshot.png` })
      .catch((e) => e);
    expect(ConnectError.from(missing).code).toBe(Code.NotFound);
  }, 180_000);
});
