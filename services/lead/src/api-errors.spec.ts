import { OrchestratorError } from '@codeframe/orchestrator';
import { LeadService } from '@codeframe/proto';
import { StoreError } from '@codeframe/store';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { apiErrors } from './api-errors.js';

// The service edge states the orchestrator's and the store's errors as the API's codes, on
// unary calls and on a stream that ends with one after it sent events.

function leadThrowing(err: Error) {
  const transport = createRouterTransport(
    (router) => {
      router.service(LeadService, {
        getProject() {
          throw err;
        },
        async *watchEvents() {
          yield {};
          throw err;
        },
      });
    },
    { router: { interceptors: [apiErrors] } },
  );
  return createClient(LeadService, transport);
}

/** The error a call fails with, as the client sees it. */
async function callError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('the call succeeded');
}

async function streamError(client: ReturnType<typeof leadThrowing>) {
  const received: unknown[] = [];
  try {
    for await (const event of client.watchEvents({ projectId: 'p' })) received.push(event);
  } catch (err) {
    return { received: received.length, err: ConnectError.from(err) };
  }
  throw new Error('the stream ended without its error');
}

describe('errors at the service edge', () => {
  it("gives the orchestrator's codes the API's, with the sentence", async () => {
    const cases = [
      ['not_found', Code.NotFound],
      ['conflict', Code.FailedPrecondition],
      ['overflow', Code.ResourceExhausted],
      ['unavailable', Code.Unavailable],
      ['internal', Code.Internal],
    ] as const;
    for (const [code, expected] of cases) {
      const client = leadThrowing(new OrchestratorError(code, `it was ${code}`));
      const err = await callError(client.getProject({ projectId: 'p' }));
      expect(err.code, code).toBe(expected);
      expect(err.rawMessage).toBe(`it was ${code}`);
    }
  });

  it('states an error that ends a stream after its first events', async () => {
    const overflow = await streamError(
      leadThrowing(new OrchestratorError('overflow', 'the watch fell 10001 events behind')),
    );
    expect(overflow.received).toBe(1);
    expect(overflow.err.code).toBe(Code.ResourceExhausted);
    expect(overflow.err.rawMessage).toBe('the watch fell 10001 events behind');
    const fenced = await streamError(leadThrowing(new StoreError('fenced', 'another lead')));
    expect(fenced.err.code).toBe(Code.Unavailable);
  });

  it('leaves any other error to connect, which tells the client nothing of it', async () => {
    const err = await callError(
      leadThrowing(new Error('a secret path /srv/x')).getProject({ projectId: 'p' }),
    );
    expect(err.code).toBe(Code.Internal);
  });
});
