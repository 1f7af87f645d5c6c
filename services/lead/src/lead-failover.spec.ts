// Two leads on one PostgreSQL database and one shared data directory. Each project is run
// by the lead holding its lease; a call about it that reaches the other lead is passed on.
// Killed (-9), the owner of the busier project loses it to the other lead once its lease
// runs out: the project completes there, its log has no gap or reuse, and a watcher that
// followed the dead lead resumes on the other with exactly the events it missed. Held back
// (SIGSTOP) past its lease, a lead finds every write it still tries refused.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  type Brain,
  firstUserText,
  passingTest,
  planTask,
  toolUse,
} from '@codeframe/fake-anthropic';
import { type Event, ProjectStatus } from '@codeframe/proto';
import {
  type Cluster,
  leadClient,
  postgresUnavailable,
  projectEnded,
  type ServiceProcess,
  startCluster,
  startTestPostgres,
  type TestPostgres,
  watchLead,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LEASE_MS = 2_000;

/** "# Busy": three tasks one after another; anything else: one. Each prints for a while. */
const brain: Brain = (request) => {
  const first = firstUserText(request);
  if (JSON.stringify(request.tools ?? []).includes('submit_plan')) {
    const tasks = first.includes('# Busy')
      ? [planTask('busy-a'), planTask('busy-b', ['busy-a']), planTask('busy-c', ['busy-b'])]
      : [planTask('small')];
    return { content: [toolUse('submit_plan', { tasks })] };
  }
  if (request.messages.length > 1) return { content: [toolUse('finish', { summary: 'done' })] };
  const key = /busy-[abc]|small/.exec(first)?.[0] ?? 'task';
  return {
    content: [
      passingTest(key),
      toolUse('run_command', {
        command: `for i in 1 2 3 4 5 6 7 8; do echo "${key} $i"; sleep 0.25; done`,
      }),
    ],
  };
};

const outputs = (events: Event[]) =>
  events.filter((e) => e.payload.case === 'commandOutput').length;
const finalStatus = (events: Event[]) =>
  ProjectStatus[(events.at(-1)!.payload.value as { status: ProjectStatus }).status];
const seqs = (events: Event[]) => events.map((e) => e.seq);
const tookUp = (lead: ServiceProcess, projectId: string) =>
  lead.waitForLog((l) => l.msg === 'took the project up' && l.projectId === projectId, 60_000);

const unavailable = postgresUnavailable();
if (unavailable) {
  describe('leads on one PostgreSQL that fail over', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else {
  describe('leads on one PostgreSQL that fail over', () => {
    let server: TestPostgres;
    let cluster: Cluster;
    let other: ServiceProcess;
    beforeAll(async () => {
      server = await startTestPostgres();
      cluster = await startCluster(
        brain,
        { backend: 2 },
        {
          leadEnv: {
            CODEFRAME_DATABASE_URL: await server.newSchema(),
            CODEFRAME_LEASE_MS: String(LEASE_MS),
            CODEFRAME_LEAD_ID: 'lead-a',
          },
        },
      );
      other = await cluster.startLead({ CODEFRAME_LEAD_ID: 'lead-b' });
    }, 120_000);
    afterAll(async () => {
      await cluster?.stop();
      await server?.stop();
    });

    /** The merge commits on main of the project's repository, oldest first. */
    const merges = (projectId: string) =>
      execFileSync(
        'git',
        [
          '--git-dir',
          join(cluster.dir, 'lead', 'repos', `${projectId}.git`),
          'log',
          '--merges',
          '--reverse',
          '--format=%s',
          'main',
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');

    it('carries the busier project on when its lead is killed, every event once, the watcher resumed on the other lead', async () => {
      const a = cluster.client;
      const b = leadClient(other);
      const busy = (await a.createProject({ prd: '# Busy\nThree tasks in a row.' })).project!.id;
      const small = (await b.createProject({ prd: '# Small\nOne task.' })).project!.id;
      // Each started through the lead that does not own it: the call is passed on.
      await b.startProject({ projectId: busy });
      await a.startProject({ projectId: small });
      expect(other.logs.some((l) => l.msg === 'took the project up')).toBe(false);

      // Followed on its own lead until a task is well under way, then that lead dies.
      const seen = await watchLead(a, busy, 0n, (_e, all) => outputs(all) >= 3);
      cluster.lead.child.kill('SIGKILL');
      const killedAt = Date.now();
      const takenAt = tookUp(other, busy).then(() => Date.now());
      await cluster.lead.exited();
      const last = seen.at(-1)!.seq;

      // The watcher resumes on the other lead after the last seq it had.
      const rest = await watchLead(b, busy, last, projectEnded, 120_000);
      console.info(
        `lead-b took the project up ${(await takenAt) - killedAt} ms after the kill (lease ${LEASE_MS} ms)`,
      );
      expect(finalStatus(rest)).toBe('COMPLETED');
      const log = await watchLead(b, busy, 0n, projectEnded);
      expect(seqs(log)).toEqual(log.map((_, i) => BigInt(i + 1)));
      // Exactly what it missed: nothing lost, nothing twice.
      expect(rest).toEqual(log.slice(Number(last)));
      for (const event of seen) expect(log[Number(event.seq) - 1]?.payload).toEqual(event.payload);
      expect(merges(busy)).toHaveLength(3);

      const smallLog = await watchLead(b, small, 0n, projectEnded, 60_000);
      expect(finalStatus(smallLog)).toBe('COMPLETED');
      expect(seqs(smallLog)).toEqual(smallLog.map((_, i) => BigInt(i + 1)));
    }, 240_000);

    it('refuses every write of a lead held back past its lease, and the project completes on the other', async () => {
      const { child } = cluster.lead;
      if (child.exitCode !== null || child.signalCode !== null) await cluster.restartLead(); // lead-a again
      const a = cluster.client;
      const b = leadClient(other);
      const project = (await a.createProject({ prd: '# Busy\nThree tasks in a row.' })).project!.id;
      await a.startProject({ projectId: project });
      await watchLead(b, project, 0n, (_e, all) => outputs(all) >= 2);
      cluster.lead.child.kill('SIGSTOP');
      try {
        await tookUp(other, project);
      } finally {
        cluster.lead.child.kill('SIGCONT');
      }
      // Awake again, the held-back lead still runs a dispatch it thinks is its own: what it
      // writes for it is refused, and it lets the project go.
      const refused = await cluster.lead.waitForLog(
        (l) => l.projectId === project && l.msg === 'another lead runs the project now',
        30_000,
      );
      expect(refused.reason).toMatch(/lead "lead-a" does not own project .*nothing was written/);
      const log = await watchLead(a, project, 0n, projectEnded, 120_000);
      expect(finalStatus(log)).toBe('COMPLETED');
      expect(seqs(log)).toEqual(log.map((_, i) => BigInt(i + 1)));
      // One merge per task on main, in dependency order: none by the stale lead besides.
      expect(merges(project)).toEqual([
        expect.stringContaining('busy-a'),
        expect.stringContaining('busy-b'),
        expect.stringContaining('busy-c'),
      ]);
      expect(other.logs.filter((l) => l.level! >= 50)).toEqual([]);
    }, 240_000);
  });
}
