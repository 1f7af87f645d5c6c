import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Brain, passingTest, toolUse } from '@codeframe/fake-anthropic';
import { ProjectStatus, TaskStatus } from '@codeframe/proto';
import { type Cluster, projectEnded, startCluster, watchUntil } from '@codeframe/testkit';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterEach, describe, expect, it } from 'vitest';

// The lead's data dir on a small tmpfs of its own, filled mid-run and emptied again: a real
// full disk, without touching the machine's. Needs root (mount); skipped with the reason
// otherwise.

const TURNS = 20;

/** Plans one task that works for a while (a search every 300 ms), then finishes. */
const brain: Brain = async (request, { signal }) => {
  if (JSON.stringify(request.tools ?? []).includes('submit_plan')) {
    const task = {
      key: 'steady',
      title: 'Task steady',
      description: '',
      kind: 'backend',
      depends_on: [],
      acceptance_criteria: [],
    };
    return { content: [toolUse('submit_plan', { tasks: [task] })] };
  }
  await new Promise((resolve) => setTimeout(resolve, 300, signal));
  if (request.messages.length < TURNS * 2)
    return { content: [toolUse('search', { pattern: `step ${request.messages.length}` })] };
  return {
    content: [
      toolUse('write_file', { path: 'steady.txt', content: 'steady' }),
      passingTest('steady'),
      toolUse('finish', { summary: 'steady' }),
    ],
  };
};

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
function cannotMount(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${(err as Error).message}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const skipReason = cannotMount();
if (skipReason) console.warn(`skipping the full-disk test: ${skipReason}`);

/** Writes a file until the filesystem has no room left. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

let cluster: Cluster | undefined;
let mounted: string | undefined;
afterEach(async () => {
  // The lead holds files on the mount: stopped before it is unmounted.
  await cluster?.lead.stop();
  if (mounted) execFileSync('umount', ['-l', mounted]);
  mounted = undefined;
  await cluster?.stop();
  cluster = undefined;
});

describe.skipIf(skipReason)('storage faults', () => {
  it('keeps a run going through a full data disk: writes fail RESOURCE_EXHAUSTED, the run completes once there is room, without a restart', async () => {
    cluster = await startCluster(brain);
    const c = cluster;
    // The lead again, on a data dir of 16 MB of its own.
    await c.lead.stop();
    const dataDir = join(c.dir, 'lead');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dataDir]);
    mounted = dataDir;
    await c.restartLead();
    const lead = c.lead.child.pid;

    const { project } = await c.client.createProject({ prd: '# steady' });
    const projectId = project!.id;
    await c.client.startProject({ projectId });
    await watchUntil(
      c,
      projectId,
      0n,
      (e) =>
        e.payload.case === 'taskStatusChanged' && e.payload.value.to === TaskStatus.IN_PROGRESS,
    );

    const filler = join(dataDir, 'filler');
    fill(filler);
    const refused = await c.client.createProject({ prd: '# while full' }).then(
      () => undefined,
      (err: unknown) => ConnectError.from(err),
    );
    if (refused?.code !== Code.ResourceExhausted)
      console.log(
        'DEBUG',
        c.lead.child.exitCode,
        c.lead.stderr().slice(-3000),
        JSON.stringify(c.lead.logs.slice(-8)),
      );
    expect(refused?.code, refused?.rawMessage).toBe(Code.ResourceExhausted);
    // Its repository (made first) or its row, whichever met the full disk first; nothing of
    // it is kept (one project at the end).
    expect(refused?.rawMessage).toMatch(/^the lead's (database|disk) is full \(.*\): free space/);
    // Until the running task meets the full disk: its events once the log's WAL has no room
    // left to reuse, or its merge into the lead's repository at the latest.
    await expect
      .poll(() => c.lead.logs.some((l) => /storage fault stopped a dispatch/.test(String(l.msg))), {
        timeout: 60_000,
      })
      .toBe(true);
    rmSync(filler);

    const events = await watchUntil(c, projectId, 0n, projectEnded);
    const last = events.at(-1)!;
    expect(last.payload.case === 'projectStatus' && ProjectStatus[last.payload.value.status]).toBe(
      'COMPLETED',
    );
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => BigInt(i + 1)));
    const { tasks } = await c.client.listTasks({ projectId });
    expect(tasks.map((t) => TaskStatus[t.status])).toEqual(['COMPLETED']);
    // The run did meet the full disk: the dispatch it broke ran again.
    expect(c.lead.logs.some((l) => /storage fault stopped a dispatch/.test(String(l.msg)))).toBe(
      true,
    );
    expect(events.filter((e) => e.payload.case === 'taskAssigned').length).toBeGreaterThan(1);
    // The same lead process did it all.
    expect(c.lead.child.pid).toBe(lead);
    expect(c.lead.child.exitCode).toBeNull();
    expect((await c.client.listProjects({})).projects).toHaveLength(1);
  }, 120_000);
});
