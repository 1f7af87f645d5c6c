import { createServer, type Server } from 'node:http';
import { type Brain, toolUse } from '@codeframe/fake-anthropic';
import { TaskStatus } from '@codeframe/proto';
import { type Cluster, projectEnded, startCluster, watchUntil } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A repository URL with a token in it, end to end: the token reaches the worker's git (as
// HTTP basic credentials, from a credential helper), and nothing a client or an operator sees
// carries it: not the API, not the events, not any log line of the lead or the worker.

const TOKEN = 'ghp_Sup3rS3cretT0ken';

const brain: Brain = async (request) => {
  if (JSON.stringify(request.tools ?? []).includes('submit_plan')) {
    const task = {
      key: 'one',
      title: 'Task one',
      description: '',
      kind: 'backend',
      depends_on: [],
      acceptance_criteria: [],
    };
    return { content: [toolUse('submit_plan', { tasks: [task] })] };
  }
  return { content: [toolUse('finish', { summary: 'done' })] };
};

let cluster: Cluster;
let remote: Server;
let port: number;
const authorizations: string[] = [];

beforeAll(async () => {
  // A git host that wants credentials, then has no such repository.
  remote = createServer((req, res) => {
    if (!req.headers.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      return;
    }
    authorizations.push(req.headers.authorization);
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => remote.listen(0, '127.0.0.1', done));
  port = (remote.address() as { port: number }).port;
  // Every process of the cluster inherits these: the test's host is loopback and http.
  process.env.CODEFRAME_REPO_ALLOW_HTTP = 'true';
  process.env.CODEFRAME_REPO_ALLOW_PRIVATE_HOSTS = 'true';
  cluster = await startCluster(brain);
}, 60_000);
afterAll(async () => {
  delete process.env.CODEFRAME_REPO_ALLOW_HTTP;
  delete process.env.CODEFRAME_REPO_ALLOW_PRIVATE_HOSTS;
  await cluster?.stop();
  await new Promise((done) => remote.close(done));
});

const json = (value: unknown) =>
  JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? String(v) : v));

describe('repository credentials', () => {
  it("reach the worker's git and nothing else: not the API, the events or the logs", async () => {
    const c = cluster;
    const url = `http://127.0.0.1:${port}/team/app.git`;
    const { project } = await c.client.createProject({
      prd: '# private',
      repoUrl: `http://x-access-token:${TOKEN}@127.0.0.1:${port}/team/app.git`,
    });
    expect(project?.repoUrl).toBe(url);
    await c.client.startProject({ projectId: project!.id });
    const events = await watchUntil(c, project!.id, 0n, projectEnded);
    // The host got the token from the worker's git, as basic credentials.
    const basic = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    expect(authorizations).toContain(basic);
    // The repository does not exist there: the task failed, saying where, without the token.
    const { tasks } = await c.client.listTasks({ projectId: project!.id });
    expect(TaskStatus[tasks[0]!.status]).toBe('FAILED');
    expect(tasks[0]!.error).toContain(url);

    const seen = [
      json(events),
      json(tasks),
      json(await c.client.listProjects({})),
      json(await c.client.getProject({ projectId: project!.id })),
      json(await c.client.getProjectSnapshot({ projectId: project!.id })),
      json(c.lead.logs),
      c.lead.stderr(),
      ...Object.values(c.workers)
        .flat()
        .flatMap((w) => [json(w.logs), w.stderr()]),
    ];
    for (const text of seen) expect(text).not.toContain(TOKEN);
    expect(seen.join('\n')).not.toContain(basic.slice(6));
  }, 90_000);
});
