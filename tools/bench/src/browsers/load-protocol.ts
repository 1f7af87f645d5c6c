import type { HistogramJson } from '../harness/latency-histogram.js';

// What the bench and its load-generator processes say to each other.

/** How a client talks to the broadcaster once the WebSocket is open. */
export type ClientProtocol = 'edge' | 'plain' | 'socket.io';

export interface ConnectArgs {
  host: string;
  port: number;
  protocol: ClientProtocol;
  projectId: string;
  count: number;
  /** Connections being opened at once. */
  concurrency?: number;
}

export interface ConnectReply {
  connected: number;
  failed: number;
  error?: string;
}

export interface LoadStats {
  clients: number;
  received: number;
  /** Receipts out of seq order, gaps or duplicates. */
  outOfOrder: number;
  /** Connections the server closed (or lost) after they were ready. */
  closed: number;
  minPerClient: number;
  maxPerClient: number;
  firstReceiptUs: number;
  lastReceiptUs: number;
  histogram?: HistogramJson;
}
