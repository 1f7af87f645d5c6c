// Seeded fuzzing of a real edge (a real process in front of a fake lead): random and
// mutated WebSocket frames and raw HTTP requests, in batches. After each batch the edge
// must still answer /healthz and deliver a legitimate subscriber its next event; no input
// may be answered as an internal error. CODEFRAME_FUZZ_CASES runs more cases (default
// 3000); CODEFRAME_FUZZ_SEED replays a run (the seed is printed at the start).
import { fuzzCases, fuzzSeed, Rng, type ServiceProcess } from '@codeframe/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FrameClient, startEdge } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';
import { httpCase, type WsCase, wsCase } from './fuzz-input.test-support.js';
import { getWithHost, rawRequest } from './raw-http.test-support.js';

const CASES = fuzzCases(3000);
const SEED = fuzzSeed();
const BATCH = 250;
const KNOWN = ['p-1', 'p-2', 'legit'];

let lead: FakeLead;
let edge: ServiceProcess;
let legit: FrameClient;

beforeAll(async () => {
  console.info(`edge fuzz: seed ${SEED}, ${CASES} cases (replay: CODEFRAME_FUZZ_SEED=${SEED})`);
  lead = await startFakeLead();
  for (const id of KNOWN) lead.createProject(id);
  edge = await startEdge(lead.url);
  legit = await FrameClient.connect(`ws://127.0.0.1:${edge.ports.http}/ws`);
  legit.send({ type: 'subscribe', project_id: 'legit', last_seq: 0 });
  await legit.waitFor((f) => f.type === 'subscribed');
}, 30_000);
afterAll(async () => {
  legit?.close();
  await edge?.stop();
  await lead?.close();
});

/** A socket for fuzz frames, replaced whenever the edge closes it (as it may, for abuse). */
class FuzzSocket {
  #client: FrameClient | undefined;

  async send(frame: WsCase): Promise<void> {
    if (!this.#client || this.#client.closeCode !== undefined) {
      this.#client = await FrameClient.connect(`ws://127.0.0.1:${edge.ports.http}/ws`);
    }
    const { ws } = this.#client;
    if ('text' in frame) ws.send(frame.text);
    else if ('binary' in frame) ws.send(frame.binary, { binary: true });
    else ws.send(frame.invalidUtf8, { binary: false });
  }

  /** Resolves once the edge handled every frame sent so far (a pong), or closed the socket. */
  async settle(): Promise<void> {
    const client = this.#client;
    if (!client || client.closeCode !== undefined) return;
    const pongs = client.frames.filter((f) => f.type === 'pong').length;
    client.ws.send(JSON.stringify({ type: 'ping' }));
    await client
      .waitFor(() => client.frames.filter((f) => f.type === 'pong').length > pongs)
      .catch(() => expect(client.closeCode).toBeDefined());
  }

  close(): void {
    this.#client?.close();
  }
}

it('survives random frames and requests, and keeps serving a legitimate client', async () => {
  const rng = new Rng(SEED);
  const port = edge.ports.http!;
  const sockets = [new FuzzSocket(), new FuzzSocket(), new FuzzSocket()];
  for (let done = 0; done < CASES; done += BATCH) {
    const requests: Promise<void>[] = [];
    for (let i = done; i < Math.min(CASES, done + BATCH); i++) {
      if (rng.chance(0.5)) {
        await rng.pick(sockets).send(wsCase(rng, KNOWN));
        continue;
      }
      const head = httpCase(rng, KNOWN, port);
      requests.push(
        rawRequest(port, head).then((response) => {
          // Bad input is the client's fault: never a 5xx (0: uWS dropped a malformed request).
          expect(response.status, `${head.split('\r\n')[0]} (seed ${SEED})`).toBeLessThan(500);
        }),
      );
      if (requests.length >= 16) await Promise.all(requests.splice(0));
    }
    await Promise.all(requests);
    await Promise.all(sockets.map((s) => s.settle()));
    expect(edge.child.exitCode, `the edge exited (seed ${SEED})`).toBeNull();
    expect((await getWithHost(port, '/healthz', 'localhost')).status).toBe(200);
    const seq = lead.emit('legit', `after batch ${done / BATCH}`);
    await legit.waitFor((f) => f.seq === seq && f.project_id === 'legit');
  }
  for (const socket of sockets) socket.close();
  const metrics = await getWithHost(port, '/metrics', 'localhost');
  expect(metrics.body).toMatch(/^codeframe_edge_internal_errors_total 0$/m);
  expect(legit.closeCode).toBeUndefined();
}, 120_000);
