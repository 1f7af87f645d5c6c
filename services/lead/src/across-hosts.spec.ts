// The system on three hosts of its own (network namespaces): the lead, PostgreSQL and the
// model stand-in on one, a worker of each kind on each of two others. The workers reach the
// project's repository only over the lead's git endpoint. The cable to the first worker host
// is pulled while it runs a task; the task completes on the other host.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Event, LeadService, ProjectStatus, TaskStatus } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import {
  HERE,
  netnsUnavailable,
  postgresUnavailable,
  projectEnded,
  type ServiceProcess,
  startServiceProcess,
  startTestPostgres,
  TestNetwork,
  type TestPostgres,
  WORKSPACE_ROOT,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOKEN = 'across-hosts-token';
const PORTS = { lead: 7100, fake: 7090, backend: 7101, test: 7103 } as const;
const unavailable = (await netnsUnavailable()) ?? postgresUnavailable();

if (unavailable) {
  describe('the system across three hosts', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else
  describe('the system across three hosts', () => {
    let net: TestNetwork;
    let pg: TestPostgres | undefined;
    const services: ServiceProcess[] = [];
    let lead: ServiceProcess;
    let leadAddress: string;
    let workerHosts: {
      name: string;
      ns: string;
      address: string;
      cable: Parameters<TestNetwork['setLink']>[0];
    }[];

    beforeAll(async () => {
      net = new TestNetwork();
      const leadHost = await net.addHost('lead');
      const front = await net.connect(HERE, leadHost);
      leadAddress = front.b.address;
      workerHosts = [];
      for (const name of ['w1', 'w2']) {
        const ns = await net.addHost(name);
        const link = await net.connect(leadHost, ns);
        // The worker reaches the lead's address on its other link through the lead host.
        await net.route(ns, link.a.address);
        workerHosts.push({ name, ns, address: link.b.address, cable: link.a });
      }
      pg = await startTestPostgres({ netns: leadHost, host: leadAddress });
      const databaseUrl = await pg.newSchema();
      const dir = mkdtempSync(join(tmpdir(), 'across-hosts-'));
      const started = [
        startServiceProcess({
          entry: 'tools/fake-anthropic/dist/main.js',
          netns: leadHost,
          env: { HOST: '0.0.0.0', PORT: String(PORTS.fake), CODEFRAME_FAKE_BRAIN: 'examples' },
        }),
        ...workerHosts.flatMap((host) =>
          (['backend', 'test'] as const).map((kind) =>
            startServiceProcess({
              entry: `services/worker-${kind}/dist/main.js`,
              netns: host.ns,
              env: {
                HOST: '0.0.0.0',
                PORT: String(PORTS[kind]),
                CODEFRAME_AUTH_TOKEN: TOKEN,
                ANTHROPIC_BASE_URL: `http://${leadAddress}:${PORTS.fake}`,
                CODEFRAME_WORK_DIR: join(dir, `${host.name}-${kind}`),
              },
            }),
          ),
        ),
      ];
      services.push(...(await Promise.all(started)));
      const replicas = (kind: 'backend' | 'test') =>
        workerHosts.map((host) => `${host.address}:${PORTS[kind]}`).join(',');
      lead = await startServiceProcess({
        entry: 'services/lead/dist/main.js',
        netns: leadHost,
        env: {
          HOST: '0.0.0.0',
          PORT: String(PORTS.lead),
          CODEFRAME_ADVERTISED_URL: `http://${leadAddress}:${PORTS.lead}`,
          CODEFRAME_DATABASE_URL: databaseUrl,
          CODEFRAME_AUTH_TOKEN: TOKEN,
          ANTHROPIC_BASE_URL: `http://127.0.0.1:${PORTS.fake}`,
          CODEFRAME_DATA_DIR: join(dir, 'lead'),
          CODEFRAME_WORKERS_BACKEND: replicas('backend'),
          CODEFRAME_WORKERS_TEST: replicas('test'),
          CODEFRAME_REVIEW: 'off',
          CODEFRAME_WORKER_PROBE_MS: '500',
        },
      });
      services.push(lead);
    }, 180_000);

    afterAll(async () => {
      await Promise.all(services.map((s) => s.stop()));
      await pg?.stop();
      await net?.close();
    });

    it('builds an example whose worker host is cut off mid-task', async () => {
      const client = createRpcClient(LeadService, {
        baseUrl: `http://${leadAddress}:${PORTS.lead}`,
        token: TOKEN,
      });
      const prd = readFileSync(join(WORKSPACE_ROOT, 'examples/csv-stats/PRD.md'), 'utf8');
      const { project } = await client.createProject({ prd });
      const projectId = project!.id;

      await client.startProject({ projectId });
      const [first, second] = workerHosts as [(typeof workerHosts)[0], (typeof workerHosts)[0]];
      const events: Event[] = [];
      let cut: string | undefined;
      /** Whether each task's latest dispatch went to the first worker host. */
      const onFirst = new Map<string, boolean>();
      // Leaving the loop does not end a stream on the server: abort it explicitly. A run
      // that stalls ends the watch (and fails below) rather than hang the suite.
      const done = new AbortController();
      const signal = AbortSignal.any([done.signal, AbortSignal.timeout(200_000)]);
      const watch = client.watchEvents({ projectId, afterSeq: 0n }, { signal });
      for await (const event of watch) {
        events.push(event);
        const change = event.payload.case === 'taskStatusChanged' ? event.payload.value : undefined;
        if (change?.to === TaskStatus.ASSIGNED)
          onFirst.set(change.taskId, change.reason.includes(`${first.address}:`));
        // Cut off while the first host runs the task (it said it started), not before.
        if (!cut && change?.to === TaskStatus.IN_PROGRESS && onFirst.get(change.taskId)) {
          cut = change.taskId;
          await net.setLink(first.cable, false);
        }
        if (projectEnded(event)) break;
      }
      done.abort();
      const last = events.at(-1)!.payload;
      const status = last.case === 'projectStatus' ? ProjectStatus[last.value.status] : last.case;
      expect(
        status,
        lead.logs
          .slice(-20)
          .map((l) => l.msg)
          .join('\n'),
      ).toBe('COMPLETED');
      expect(cut).toBeDefined();
      // The task cut off went to the other host and completed there.
      const moves = events.flatMap((e) =>
        e.payload.case === 'taskStatusChanged' && e.payload.value.taskId === cut
          ? [e.payload.value]
          : [],
      );
      const again = moves.filter((m) => m.to === TaskStatus.ASSIGNED).at(-1);
      expect(again?.reason).toContain(`${second.address}:`);
      expect(moves.at(-1)?.to).toBe(TaskStatus.COMPLETED);
      const tasks = (await client.listTasks({ projectId })).tasks;
      expect(tasks.every((t) => t.status === TaskStatus.COMPLETED)).toBe(true);
      // The workers pushed over the lead's git endpoint, from their own hosts.
      const pushes = lead.logs.filter((l) => l.msg === 'git push' && l.exit === 0);
      expect(pushes.map((l) => l.from)).toContain(second.address);
      expect(
        pushes.every(
          (l) =>
            l.path === `/${projectId}.git/git-receive-pack` ||
            l.path === `/${projectId}.git/info/refs`,
        ),
      ).toBe(true);
    }, 300_000);
  });
