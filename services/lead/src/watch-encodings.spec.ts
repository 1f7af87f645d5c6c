import { create } from '@bufbuild/protobuf';
import { ActivityUpdateSchema, type Event, LeadService } from '@codeframe/proto';
import { createRpcClient, type RpcServer } from '@codeframe/rpc';
import { openSqliteStore } from '@codeframe/store';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { leadParts, serveLead } from './lead-parts.fixture.js';

// WatchEvents (and WatchEventBatches) send each event as the store encoded it when the client speaks protobuf, and
// the event itself when it asked for JSON: every client gets the same events either way.

const store = await openSqliteStore(':memory:');
const parts = leadParts(store);
let server: RpcServer;

beforeAll(async () => {
  server = await serveLead(parts);
});
afterAll(() => server.close());

/** The first n events of a watch, and the sizes of the messages they came in. */
async function firstBatches(
  lead: ReturnType<typeof createRpcClient<typeof LeadService>>,
  projectId: string,
  n: number,
): Promise<{ events: Event[]; sizes: number[] }> {
  const abort = new AbortController();
  const events: Event[] = [];
  const sizes: number[] = [];
  for await (const batch of lead.watchEventBatches({ projectId }, { signal: abort.signal })) {
    events.push(...batch.events);
    sizes.push(batch.events.length);
    if (events.length >= n) break;
  }
  abort.abort();
  return { events, sizes };
}

async function firstEvents(
  lead: ReturnType<typeof createRpcClient<typeof LeadService>>,
  projectId: string,
  n: number,
): Promise<Event[]> {
  const abort = new AbortController();
  const got: Event[] = [];
  for await (const event of lead.watchEvents({ projectId }, { signal: abort.signal })) {
    got.push(event);
    if (got.length === n) break;
  }
  abort.abort();
  return got;
}

const newProject = () =>
  store.createProject({
    name: 'p',
    prd: '# P',
    repoUrl: '',
    budgetUsd: 0,
    maxConcurrency: 0,
  });
const activity = (message: string) => ({
  case: 'activityUpdate' as const,
  value: create(ActivityUpdateSchema, { taskId: 't-1', message }),
});
const clientsOf = (baseUrl: string) => ({
  grpc: createRpcClient(LeadService, { baseUrl }),
  grpcWeb: createClient(LeadService, createGrpcWebTransport({ baseUrl, httpVersion: '1.1' })),
  connect: createClient(LeadService, createConnectTransport({ baseUrl, httpVersion: '1.1' })),
  json: createClient(
    LeadService,
    createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false }),
  ),
});

it('gives gRPC, gRPC-Web, Connect binary and Connect JSON clients the same events, replayed and live', async () => {
  const { id } = await newProject();
  // Replayed from the store: the first three; live: the rest, appended once all watch.
  for (const m of ['one', 'twö ✓', '']) await parts.hub.append(id, activity(m));
  const watches = Object.values(clientsOf(server.url)).map((lead) => firstEvents(lead, id, 6));
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const m of ['four', 'five\nlines', 'six']) await parts.hub.append(id, activity(m));
  const stored = await store.readEvents(id, 0n, 100);
  expect(stored.map((e) => e.seq)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
  for (const got of await Promise.all(watches)) expect(got).toEqual(stored);
});

it('sends the same events in batches to every client: the replay grouped, live ones as they come', async () => {
  const { id } = await newProject();
  for (let i = 0; i < 600; i++) await parts.hub.append(id, activity(`replayed ${i}`));
  const watches = Object.values(clientsOf(server.url)).map((lead) => firstBatches(lead, id, 603));
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const m of ['live', 'live ✓', '']) await parts.hub.append(id, activity(m));
  const stored = await store.readEvents(id, 0n, 1000);
  expect(stored).toHaveLength(603);
  for (const { events, sizes } of await Promise.all(watches)) {
    expect(events).toEqual(stored);
    // A replayed page of 500 goes as 512 at most a message; live ones one by one.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(512);
    expect(sizes.length).toBeLessThan(20);
  }
});
