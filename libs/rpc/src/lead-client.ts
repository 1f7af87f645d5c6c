import { LeadService } from '@codeframe/proto';
import type { Client } from '@connectrpc/connect';
import { createRpcClient, type RpcClientOptions } from './rpc-client.js';

export type LeadClient = Client<typeof LeadService>;

export interface LeadClientOptions extends Omit<RpcClientOptions, 'token'> {
  /** CODEFRAME_AUTH_TOKEN; unset or empty sends no authorization header. */
  token?: string | undefined;
}

/** A client of the lead's public API, as the CLI, the edge and other leads call it. */
export function createLeadClient(options: LeadClientOptions): LeadClient {
  const { token, ...rest } = options;
  return createRpcClient(LeadService, { ...rest, ...(token ? { token } : {}) });
}
