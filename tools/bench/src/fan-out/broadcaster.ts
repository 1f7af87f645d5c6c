// The edge's peers and its ceiling: the same job as the edge (follow one project's
// WatchEvents stream from the lead, turn each event into its browser JSON once, send it to
// every connected client) built on `ws`, on socket.io, and on raw uWebSockets.js publish.
// One process per broadcaster, driven by the bench over IPC.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serialiseEvent, toBrowserEvent } from '@codeframe/events';
import { type Event, LeadService } from '@codeframe/proto';
import { createRpcClient, followEvents } from '@codeframe/rpc';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocket, WebSocketServer } from 'ws';
import { serveRequests } from '../harness/bench-child.js';
import { loadNativeUws } from './native-uws.js';

export type PeerSystem = 'ws' | 'socket.io' | 'uws';

export interface StartArgs {
  system: PeerSystem;
  leadUrl: string;
  projectId: string;
}

interface Broadcaster {
  port: number;
  send(event: Event): void;
  close(): void;
}

/** The edge's limits on a slow socket: 1 MiB checked, uWS's own cut at four times that. */
const MAX_BACKPRESSURE = 4 * 1024 * 1024;

async function wsBroadcaster(): Promise<Broadcaster> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  return {
    port: (wss.address() as AddressInfo).port,
    // The broadcast loop of ws's README, with the frame made a Buffer once, not per client.
    send(event) {
      const data = Buffer.from(serialiseEvent(event));
      for (const client of wss.clients) {
        if (client.readyState === WebSocket.OPEN) client.send(data, { binary: false });
      }
    },
    close: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

async function socketIoBroadcaster(): Promise<Broadcaster> {
  const http = createServer();
  const io = new SocketIoServer(http, { transports: ['websocket'], serveClient: false });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return {
    port: (http.address() as AddressInfo).port,
    // socket.io encodes a broadcast once and writes the same frame to every socket.
    send: (event) => io.emit('event', toBrowserEvent(event)),
    close: () => {
      io.close();
      http.closeAllConnections();
    },
  };
}

async function uwsBroadcaster(): Promise<Broadcaster> {
  const uws = loadNativeUws();
  const app = uws.App().ws('/*', {
    maxPayloadLength: 16 * 1024,
    maxBackpressure: MAX_BACKPRESSURE,
    closeOnBackpressureLimit: 1,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    open: (ws) => {
      ws.subscribe('events');
    },
  });
  const listenSocket = await new Promise<unknown>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('uWS cannot listen')))),
  );
  return {
    port: uws.us_socket_local_port(listenSocket as never),
    send: (event) => app.publish('events', serialiseEvent(event), false),
    close: () => uws.us_listen_socket_close(listenSocket as never),
  };
}

const makers: Record<PeerSystem, () => Promise<Broadcaster>> = {
  ws: wsBroadcaster,
  'socket.io': socketIoBroadcaster,
  uws: uwsBroadcaster,
};

let broadcaster: Broadcaster | undefined;
const abort = new AbortController();
let failure: string | undefined;

async function follow(args: StartArgs, target: Broadcaster): Promise<void> {
  const lead = createRpcClient(LeadService, { baseUrl: args.leadUrl });
  const { project } = await lead.getProject({ projectId: args.projectId });
  // As the edge follows the lead (WatchEventBatches), failing at the first break.
  const stream = followEvents(lead, args.projectId, project?.lastSeq ?? 0n, {
    signal: abort.signal,
    giveUpAfterMs: 0,
  });
  for await (const event of stream) target.send(event);
}

serveRequests(
  {
    async start(args: StartArgs) {
      broadcaster = await makers[args.system]();
      const target = broadcaster;
      void follow(args, target).catch((err: unknown) => {
        if (!abort.signal.aborted) failure = (err as Error).message;
      });
      return { port: broadcaster.port };
    },
    health: () => ({ failure }),
  },
  () => {
    abort.abort();
    broadcaster?.close();
  },
);
