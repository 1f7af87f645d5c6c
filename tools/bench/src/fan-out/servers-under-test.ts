import { startServiceProcess } from '@codeframe/testkit';
import type { ClientProtocol } from '../browsers/load-protocol.js';
import { BenchChild } from '../harness/bench-child.js';
import { trackChild } from '../harness/child-registry.js';
import type { PeerSystem, StartArgs } from './broadcaster.js';

/** The edge and the broadcasters it is measured against, in the order they run. */
export const FAN_OUT_SYSTEMS = ['edge', 'uws', 'ws', 'socket.io'] as const;
export type FanOutSystem = (typeof FAN_OUT_SYSTEMS)[number];

export interface ServerUnderTest {
  system: FanOutSystem;
  pid: number;
  port: number;
  protocol: ClientProtocol;
  /** Slow-client closes the server counted, where it counts them (the edge). */
  slowClientCloses(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Starts one broadcaster following `projectId` on the (synthetic) lead at `leadUrl`. */
export async function startServerUnderTest(
  system: FanOutSystem,
  leadUrl: string,
  projectId: string,
  edgeEnv: Record<string, string> = {},
): Promise<ServerUnderTest> {
  if (system === 'edge') {
    const edge = await startServiceProcess({
      entry: 'services/edge/dist/main.js',
      listeners: 2,
      env: {
        GRPC_PORT: '0',
        CODEFRAME_LEAD_URL: leadUrl,
        CODEFRAME_SHUTDOWN_GRACE_MS: '1000',
        ...edgeEnv,
      },
    });
    trackChild(edge.child);
    const port = edge.ports.http!;
    return {
      system,
      pid: edge.child.pid!,
      port,
      protocol: 'edge',
      async slowClientCloses() {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
        const match = /^codeframe_edge_slow_client_closes_total (\d+)/m.exec(text);
        return match ? Number(match[1]) : undefined;
      },
      stop: async () => {
        await edge.stop();
      },
    };
  }
  const child = await BenchChild.start('fan-out/broadcaster.js');
  const { port } = await child.request<{ port: number }>('start', {
    system: system satisfies PeerSystem,
    leadUrl,
    projectId,
  } satisfies StartArgs);
  return {
    system,
    pid: child.pid,
    port,
    protocol: system === 'socket.io' ? 'socket.io' : 'plain',
    slowClientCloses: async () => undefined,
    stop: () => child.stop(1_000),
  };
}
