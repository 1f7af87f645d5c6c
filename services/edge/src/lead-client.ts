import { LeadService } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';

export type LeadClient = ReturnType<typeof createRpcClient<typeof LeadService>>;

export function createLeadClient(leadUrl: string, token: string | undefined): LeadClient {
  return createRpcClient(LeadService, { baseUrl: leadUrl, ...(token ? { token } : {}) });
}
