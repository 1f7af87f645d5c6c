import { create } from '@bufbuild/protobuf';
import { ProgressUpdateSchema, ProjectStatus, TaskKind } from '@codeframe/proto';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgStore } from './pg-store.js';
import type { ProjectLeases, Store, StoreError } from './store.js';

// Leads sharing one PostgreSQL database: who owns a project, and that a lead which lost one
// can write nothing for it any more.
const unavailable = postgresUnavailable();
let server: TestPostgres;

const TTL = 800;
const progress = (total: number) =>
  ({ case: 'progressUpdate', value: create(ProgressUpdateSchema, { total }) }) as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Lead = Store & { leases: ProjectLeases };
const opened: Store[] = [];
async function lead(url: string, holder: string, ttlMs = TTL): Promise<Lead> {
  const store = await openPgStore(url, { lease: { holder, url: `http://${holder}:7100`, ttlMs } });
  opened.push(store);
  return store as Lead;
}

async function project(store: Store): Promise<string> {
  const { id } = await store.createProject({
    name: 'leased',
    prd: '',
    repoUrl: '',
    budgetUsd: 0,
    maxConcurrency: 1,
  });
  return id;
}

async function fenced(write: Promise<unknown>): Promise<StoreError> {
  const err = (await write.then(
    () => undefined,
    (e: unknown) => e,
  )) as StoreError | undefined;
  expect(err?.code, 'the write was not refused').toBe('fenced');
  return err!;
}

if (unavailable) {
  describe('project leases (postgresql)', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else {
  beforeAll(async () => {
    server = await startTestPostgres();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await server?.stop();
  });

  describe('project leases (postgresql)', () => {
    it('lets only the owner write; once its lease runs out another claims the project and the old owner can write nothing', async () => {
      const url = await server.newSchema();
      const [a, b] = [await lead(url, 'a'), await lead(url, 'b')];
      const id = await project(a);
      const [task] = await a.savePlan(id, [
        {
          key: 'api',
          title: 'API',
          description: '',
          kind: TaskKind.BACKEND,
          dependsOn: [],
          acceptanceCriteria: [],
        },
      ]);
      const attempt = await a.startAttempt(task!.id, 'w1');
      await a.appendEvent(id, progress(1));
      expect(a.leases.holds(id)).toBe(true);
      expect(await b.leases.claim()).toEqual([]);
      const refused = await fenced(b.setProjectStatus(id, ProjectStatus.RUNNING));
      expect(refused.message).toMatch(/lead "b" does not own project .*lead "a" owns it now/);
      await fenced(b.appendEvent(id, progress(99)));

      await sleep(TTL + 200); // a never renews: its lease runs out
      expect(await b.leases.claim()).toEqual([id]);
      // Every kind of write a stale lead might still make is refused, and nothing is written.
      await fenced(a.setProjectStatus(id, ProjectStatus.FAILED));
      await fenced(a.appendEvent(id, progress(2)));
      await fenced(a.updateTask(task!.id, { error: 'stale' }));
      await fenced(a.startAttempt(task!.id, 'w2'));
      await fenced(a.finishAttempt(attempt.id, 'completed'));
      await fenced(a.setAttemptBranch(attempt.id, 'attempts/x/1'));
      await fenced(a.createBlocker(id, '', 'stale?'));
      await fenced(a.addUsage(id, undefined, { ...NO_USAGE, calls: 1 }));
      await fenced(a.underLease(id, async () => 'merged'));
      expect(await a.leases.renew()).toEqual([id]);
      expect(a.leases.holds(id)).toBe(false);

      // The new owner carries on: seqs go on from the last committed one.
      expect((await b.appendEvent(id, progress(3))).seq).toBe(2n);
      await b.finishAttempt(attempt.id, 'lead_lost');
      const after = (await b.getTask(task!.id))!;
      expect(after.error).toBe('');
      expect((await b.getProject(id))!.usage?.calls ?? 0).toBe(0);
      expect(await b.listBlockers(id, true)).toEqual([]);
    });

    it('keeps a project it is creating out of its own rounds of claims, and the token of one that took it anyway', async () => {
      const url = await server.newSchema();
      const a = await lead(url, 'a');
      const leases = a.leases as ProjectLeases & {
        creating(projectId: string): void;
        created(projectId: string, committed: boolean): void;
      };
      const [creating, created] = [leases.creating.bind(leases), leases.created.bind(leases)];
      // A round of claims (LeaseKeeper) runs between the insert's commit and created().
      let late: string | undefined;
      leases.created = (projectId) => {
        late = projectId;
      };
      const first = await project(a);
      expect(late).toBe(first);
      expect(await leases.claim()).toEqual([]);
      created(first, true);
      await a.appendEvent(first, progress(1));
      // A round that began before creating() takes it with a newer token, which stands.
      leases.creating = () => {};
      const second = await project(a);
      expect(await leases.claim()).toEqual([second]);
      created(second, true);
      for (const id of [first, second]) {
        await a.appendEvent(id, progress(1));
        await a.setProjectStatus(id, ProjectStatus.RUNNING);
      }
      expect(await leases.renew()).toEqual([]);
      expect(leases.held().sort()).toEqual([first, second].sort());
      leases.creating = creating;
      leases.created = created;
    });

    it('holds a takeover back while the owner moves something under its lease, then lets it through', async () => {
      const url = await server.newSchema();
      const [a, b] = [await lead(url, 'a'), await lead(url, 'b')];
      const id = await project(a);
      let finish!: () => void;
      const gate = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const moving = a.underLease(id, async () => {
        await gate;
        return 'moved';
      });
      await sleep(TTL + 200);
      // The lease ran out, but the move under it is still going: the row is skipped.
      expect(await b.leases.claim()).toEqual([]);
      finish();
      expect(await moving).toBe('moved');
      expect(await b.leases.claim()).toEqual([id]);
      await fenced(a.underLease(id, async () => 'moved again'));
    });

    it('gives a restarted lead its projects back at once, and refuses what its old process still writes', async () => {
      const url = await server.newSchema();
      const before = await lead(url, 'a', 60_000);
      const id = await project(before);
      const restarted = await lead(url, 'a', 60_000);
      expect(await restarted.leases.claim()).toEqual([id]);
      await fenced(before.appendEvent(id, progress(1)));
      expect((await restarted.appendEvent(id, progress(1))).seq).toBe(1n);
    });

    it('hands a stopping lead’s projects over at once, and claims a finished project only when asked', async () => {
      const url = await server.newSchema();
      const [a, b] = [await lead(url, 'a', 60_000), await lead(url, 'b', 60_000)];
      const running = await project(a);
      const finished = await project(a);
      await a.setProjectStatus(finished, ProjectStatus.COMPLETED);
      await a.leases.renew();
      expect(await b.leases.owner(running)).toEqual({
        holder: 'a',
        url: 'http://a:7100',
        live: true,
      });
      await a.leases.release();
      expect(a.leases.held()).toEqual([]);
      expect((await b.leases.owner(running))!.live).toBe(false);
      expect(await b.leases.claim()).toEqual([running]);
      expect(await b.leases.claim([finished])).toEqual([finished]);
      expect(await b.leases.owner('no-such-project')).toBeUndefined();
    });

    it('tells every lead when events commit, and renews what it holds', async () => {
      const url = await server.newSchema();
      const [a, b] = [await lead(url, 'a'), await lead(url, 'b')];
      const id = await project(a);
      const heard: [string | undefined, bigint][] = [];
      const stop = await b.leases.onCommit((projectId, seq) => heard.push([projectId, seq]));
      try {
        for (let i = 0; i < 3; i++) await a.appendEvent(id, progress(i));
        for (let i = 0; i < 50 && heard.length < 3; i++) await sleep(20);
        expect(heard).toEqual([
          [id, 1n],
          [id, 2n],
          [id, 3n],
        ]);
        // Renewed past several lease times, a lead keeps its project.
        for (let i = 0; i < 4; i++) {
          await sleep(TTL / 2);
          expect(await a.leases.renew()).toEqual([]);
        }
        expect(await b.leases.claim()).toEqual([]);
      } finally {
        await stop();
      }
    });
  });
}

const NO_USAGE = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
  costUsd: 0,
  calls: 0,
  unpriced: false,
};
