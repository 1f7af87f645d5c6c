import { LeadService } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';

export type LeadClient = ReturnType<typeof createRpcClient<typeof LeadService>>;

export interface LeadTarget {
  url: string;
  token: string | undefined;
}

export function connectLead(target: LeadTarget): LeadClient {
  return createRpcClient(LeadService, {
    baseUrl: target.url,
    ...(target.token ? { token: target.token } : {}),
    unaryTimeoutMs: 120_000,
  });
}
