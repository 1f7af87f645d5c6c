import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '@codeframe/runtime';
import { sendError } from './api-error.js';
import type { Brain } from './brain.js';
import { checkFault, type Fault } from './faults.js';
import { type EndpointState, handleMessages, handleNotFound } from './messages-endpoint.js';
import type { PromptCacheOptions } from './prompt-cache.js';
import type { RecordedRequest } from './recorded-request.js';
import { TokenMeter } from './usage.js';

export interface FakeAnthropicOptions {
  /** Address to listen on; 127.0.0.1 unless told. */
  host?: string;
  /** 0 (the default) picks a free port; `FakeAnthropic.url` tells which. */
  port?: number;
  /** Decides every answer. */
  brain: Brain;
  /** Faults for the first requests, one each, in order. */
  faults?: Fault[];
  /** Pause between streamed events, to play slow tokens. */
  eventDelayMs?: number;
  /** The simulated prompt cache: its clock (for TTL tests) and minimum cacheable length. */
  promptCache?: PromptCacheOptions;
  logger?: Logger;
  /** The model's context window in tokens: longer requests get 400 "prompt is too long". */
  contextWindowTokens?: number;
}

export interface FakeAnthropic {
  /** Base URL to give the SDK as `baseURL`, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Every POST /v1/messages received, in order, faulted and refused ones included. */
  readonly requests: RecordedRequest[];
  /** Queues faults after those not yet taken. */
  addFaults(...faults: Fault[]): void;
  /** Stops listening and ends open connections, so nothing is left to wait for. */
  close(): Promise<void>;
}

/**
 * Starts a local HTTP server that answers the Anthropic Messages API from a scripted brain:
 * the real SDK cannot tell it from the API, but it is an offline stand-in, never a model.
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions): Promise<FakeAnthropic> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const state: EndpointState = {
    brain: options.brain,
    faults: [],
    requests: [],
    eventDelayMs: options.eventDelayMs ?? 0,
    logger,
    meter: new TokenMeter(options.promptCache),
    ids: { message: 0, toolUse: 0 },
    contextWindowTokens: options.contextWindowTokens,
  };
  const addFaults = (...faults: Fault[]) => {
    for (const fault of faults) checkFault(fault);
    state.faults.push(...faults);
  };
  addFaults(...(options.faults ?? []));

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/messages') return handleNotFound(req, res);
    handleMessages(state, req, res).catch((err: unknown) => {
      logger.error({ err }, 'fake-anthropic failed to answer a request');
      if (res.headersSent) res.destroy();
      else
        sendError(res, 'req_fake_failed', { status: 500, type: 'api_error', message: String(err) });
    });
  });
  const port = await listen(server, host, options.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info(
    { url },
    'fake-anthropic: an offline scripted stand-in for the Anthropic Messages API, not a model; answers come from a script',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive and streaming connections would hold close() open; end them, which also
      // aborts any brain still thinking.
      server.closeAllConnections();
    });
    return closing;
  };
  return { url, port, requests: state.requests, addFaults, close };
}

function listen(
  server: ReturnType<typeof createServer>,
  host: string,
  port: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `cannot listen on ${host}:${port}: the port is in use (set PORT to a free port, or 0 for any)`,
          ),
        );
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
        reject(
          new Error(`cannot listen on ${host}:${port}: HOST is not an address of this machine`),
        );
      } else {
        reject(err);
      }
    });
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
