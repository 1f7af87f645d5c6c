// A load generator process: opens its share of the simulated browsers against one
// broadcaster, counts the stamped events each receives, checks they arrive in seq order,
// and records their latency from publish to receipt. Driven by the bench over IPC.
import { serveRequests } from '../harness/bench-child.js';
import { LatencyHistogram } from '../harness/latency-histogram.js';
import { readSeq, readStamp } from '../harness/stamped-event.js';
import type { ClientProtocol, ConnectArgs, ConnectReply, LoadStats } from './load-protocol.js';
import { type FrameHandler, RawWebSocket } from './raw-websocket.js';

const PATHS: Record<ClientProtocol, string> = {
  edge: '/ws',
  plain: '/',
  'socket.io': '/socket.io/?EIO=4&transport=websocket',
};

/** Frames of the edge's protocol itself, not events. */
const CONTROL = /^\{"type":"(subscribed|unsubscribed|heartbeat|pong|error)"/;

const histogram = new LatencyHistogram();
let clients: SimulatedClient[] = [];
let firstReceiptUs = 0;
let lastReceiptUs = 0;

class SimulatedClient implements FrameHandler {
  ws: RawWebSocket | undefined;
  received = 0;
  lastSeq = -1;
  outOfOrder = 0;
  live = false;
  closedAfterReady = false;
  #ready!: { resolve(): void; reject(e: Error): void };
  readonly ready = new Promise<void>((resolve, reject) => {
    this.#ready = { resolve, reject };
  });

  constructor(private readonly args: ConnectArgs) {}

  onFrame(buf: Buffer, start: number, end: number, nowUs: number): void {
    const stamp = readStamp(buf, start, end);
    if (stamp < 0) {
      this.#other(buf.toString('utf8', start, end));
      return;
    }
    this.received++;
    this.#checkSeq(readSeq(buf, start, end));
    histogram.record(nowUs - stamp);
    if (firstReceiptUs === 0 || nowUs < firstReceiptUs) firstReceiptUs = nowUs;
    if (nowUs > lastReceiptUs) lastReceiptUs = nowUs;
  }

  /** Every event's seq follows the one before: no gap, duplicate or reordering. */
  #checkSeq(seq: number): void {
    if (this.lastSeq >= 0 && seq !== this.lastSeq + 1) this.outOfOrder++;
    this.lastSeq = seq;
  }

  /** A frame without a stamp: the protocol's own, or an event of the run (the pipeline's). */
  #other(text: string): void {
    if (this.args.protocol === 'edge' && text.startsWith('{"type":"') && !CONTROL.test(text)) {
      const seq = /"seq":(\d+)/.exec(text)?.[1];
      if (seq) this.#checkSeq(Number(seq));
      return;
    }
    this.#control(text);
  }

  onClose(): void {
    if (this.live) this.closedAfterReady = true;
    this.#ready.reject(new Error('the server closed the connection before it was ready'));
  }

  onOpen(ws: RawWebSocket): void {
    this.ws = ws;
    if (this.args.protocol === 'edge') {
      ws.sendText(
        JSON.stringify({ type: 'subscribe', project_id: this.args.projectId, last_seq: 0 }),
      );
    } else if (this.args.protocol === 'plain') {
      this.#live();
    }
  }

  #control(text: string): void {
    if (this.args.protocol === 'edge') {
      if (text.includes('"type":"subscribed"')) this.#live();
      else if (text.includes('"type":"error"')) this.#ready.reject(new Error(text));
      return;
    }
    if (this.args.protocol !== 'socket.io') return;
    // Engine.IO v4 packets: 0 open, 2 ping (answer 3), 4 message; Socket.IO: 40 connect.
    if (text === '2') this.ws?.sendText('3');
    else if (text.startsWith('0')) this.ws?.sendText('40');
    else if (text.startsWith('40')) this.#live();
    else if (text.startsWith('44')) this.#ready.reject(new Error(`socket.io refused: ${text}`));
  }

  #live(): void {
    this.live = true;
    this.#ready.resolve();
  }
}

async function connectAll(args: ConnectArgs): Promise<ConnectReply> {
  const concurrency = args.concurrency ?? 50;
  let next = 0;
  let failed = 0;
  let error: string | undefined;
  const opened: SimulatedClient[] = [];
  const lane = async () => {
    while (next < args.count) {
      next++;
      const client = new SimulatedClient(args);
      try {
        await RawWebSocket.connect(args.host, args.port, PATHS[args.protocol], client);
        await withTimeout(client.ready, 30_000, 'subscription timed out');
        opened.push(client);
      } catch (err) {
        failed++;
        error ??= (err as Error).message;
        client.ws?.close();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  clients.push(...opened);
  return error === undefined
    ? { connected: opened.length, failed }
    : { connected: opened.length, failed, error };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function reset(): void {
  histogram.reset();
  firstReceiptUs = 0;
  lastReceiptUs = 0;
  for (const client of clients) {
    client.received = 0;
    client.outOfOrder = 0;
  }
}

function stats(args: { histogram?: boolean }): LoadStats {
  let received = 0;
  let outOfOrder = 0;
  let closed = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const client of clients) {
    received += client.received;
    outOfOrder += client.outOfOrder;
    if (client.closedAfterReady) closed++;
    if (client.received < min) min = client.received;
    if (client.received > max) max = client.received;
  }
  const out: LoadStats = {
    clients: clients.length,
    received,
    outOfOrder,
    closed,
    minPerClient: clients.length ? min : 0,
    maxPerClient: max,
    firstReceiptUs,
    lastReceiptUs,
  };
  if (args.histogram) out.histogram = histogram.toJSON();
  return out;
}

async function disconnect(): Promise<void> {
  for (const client of clients) client.ws?.close();
  const deadline = Date.now() + 5_000;
  while (clients.some((c) => c.ws && !c.ws.closed) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  clients = [];
  reset();
}

serveRequests(
  {
    connect: (args: ConnectArgs) => connectAll(args),
    reset,
    stats,
    disconnect,
  },
  disconnect,
);
