// The lead killed with -9 while a worker's stream floods it with command output, so appends
// are in flight and being committed in batches: after the restart the log has no gap and
// no seq was reused, and what a watcher saw before the kill is what the log holds. On SQLite
// in the data directory, and on PostgreSQL (CODEFRAME_DATABASE_URL).
import { type Brain, passingTest, planTask, toolUse } from '@codeframe/fake-anthropic';
import { type Event, ProjectStatus } from '@codeframe/proto';
import {
  type Cluster,
  postgresUnavailable,
  projectEnded,
  startCluster,
  startTestPostgres,
  type TestPostgres,
  watchUntil,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** One task: a command printing a line every few ms (an output event each), then finish. */
const brain: Brain = (request) => {
  if (JSON.stringify(request.tools ?? []).includes('submit_plan'))
    return { content: [toolUse('submit_plan', { tasks: [planTask('flood')] })] };
  if (request.messages.length > 1) return { content: [toolUse('finish', { summary: 'done' })] };
  return {
    content: [
      passingTest('flood'),
      toolUse('run_command', {
        command: 'i=0; while [ $i -lt 600 ]; do echo "line $i"; i=$((i+1)); sleep 0.003; done',
      }),
    ],
  };
};

const outputs = (events: Event[]) =>
  events.filter((e) => e.payload.case === 'commandOutput').length;

describeCrashDuringCommit('SQLite', async () => ({ env: {}, stop: async () => {} }));

const unavailable = postgresUnavailable();
if (unavailable) {
  describe('the lead on PostgreSQL killed while it commits a flood of events', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else {
  describeCrashDuringCommit('PostgreSQL', async () => {
    const server: TestPostgres = await startTestPostgres();
    // The lead comes back under the same id, so it takes its projects back at once.
    const env = { CODEFRAME_DATABASE_URL: await server.newSchema(), CODEFRAME_LEAD_ID: 'lead-1' };
    return { env, stop: () => server.stop() };
  });
}

/** The scenario on a store that `database` sets up (the lead's settings for it). */
function describeCrashDuringCommit(
  store: string,
  database: () => Promise<{ env: Record<string, string>; stop(): Promise<void> }>,
): void {
  describe(`the lead on ${store} killed while it commits a flood of events`, () => {
    let cluster: Cluster;
    let db: Awaited<ReturnType<typeof database>>;
    beforeAll(async () => {
      db = await database();
      cluster = await startCluster(brain, {}, { leadEnv: db.env });
    }, 120_000);
    afterAll(async () => {
      await cluster?.stop();
      await db?.stop();
    });

    it('restarts with seqs that have no gap and were never reused', async () => {
      const c = cluster;
      const { project } = await c.client.createProject({ prd: '# Flood\nOne loud task.' });
      const projectId = project!.id;
      await c.client.startProject({ projectId });
      // Killed mid-flood: output events are arriving and committing as it dies.
      const seen = await watchUntil(c, projectId, 0n, (_e, all) => outputs(all) >= 50);
      c.lead.child.kill('SIGKILL');
      await c.lead.exited();
      await c.restartLead();
      const after = await watchUntil(c, projectId, 0n, projectEnded, 120_000);
      expect(ProjectStatus[(after.at(-1)!.payload.value as { status: number }).status]).toBe(
        'COMPLETED',
      );
      expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => BigInt(i + 1)));
      // Every event a watcher was shown before the kill is in the log at its seq, unchanged.
      for (const event of seen)
        expect(after[Number(event.seq) - 1]?.payload).toEqual(event.payload);
      expect(outputs(after)).toBeGreaterThan(outputs(seen));
    }, 180_000);
  });
}
