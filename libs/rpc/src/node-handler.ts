import type { Logger } from '@codeframe/runtime';
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createConnectRouter,
  type Interceptor,
} from '@connectrpc/connect';
import type { UniversalHandler } from '@connectrpc/connect/protocol';
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from '@connectrpc/connect-node';
import { reclassifyDecodeErrors } from './decode-errors.js';

type NodeServerRequest = Parameters<typeof universalRequestFromNodeRequest>[0];
type NodeServerResponse = Parameters<typeof universalResponseToNodeResponse>[1];

export interface NodeHandlerOptions {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  shutdownSignal: AbortSignal;
  /** The largest request message read, after decompression. */
  readMaxBytes: number;
  logger: Logger;
}

/**
 * connect-node's connectNodeAdapter, with every unary handler answering an undecodable
 * request with INVALID_ARGUMENT (see decode-errors.ts).
 */
export function rpcNodeHandler(options: NodeHandlerOptions) {
  const router = createConnectRouter({
    interceptors: options.interceptors,
    shutdownSignal: options.shutdownSignal,
    readMaxBytes: options.readMaxBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  options.routes(router);
  const paths = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) {
    paths.set(handler.requestPath, reclassifyDecodeErrors(handler));
  }
  return (req: NodeServerRequest, res: NodeServerResponse) => {
    const handler = paths.get(req.url?.split('?', 2)[0] ?? '');
    if (!handler) {
      res.writeHead(404);
      res.end();
      return;
    }
    handler(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        // The response could not be written, mostly because the client went away.
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.logger.warn(
          { rpc: `${handler.service.name}/${handler.method.name}`, err: reason },
          'the response could not be written',
        );
      });
  };
}
