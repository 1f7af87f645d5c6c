import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { type Logger, sleep } from '@codeframe/runtime';
import { sendError } from './api-error.js';
import { type AssistantTurn, assistantTurn, BadTurn } from './assistant-turn.js';
import type { Brain, MessagesRequest } from './brain.js';
import { windowAnswer } from './context-window.js';
import { writeEventStream } from './event-stream.js';
import { type Fault, faultAnswer } from './faults.js';
import { messageEvents } from './message-events.js';
import { headersOf, type RecordedRequest } from './recorded-request.js';
import { BodyTooLarge, type ParsedBody, parseMessagesBody, readBody } from './request-body.js';
import type { TokenMeter } from './usage.js';

/** What every request of one server shares. */
export interface EndpointState {
  brain: Brain;
  /** Faults still to hand out, the next one first. */
  faults: Fault[];
  requests: RecordedRequest[];
  eventDelayMs: number;
  logger: Logger;
  meter: TokenMeter;
  ids: { message: number; toolUse: number };
  /** Requests with more tokens than this are answered 400 "prompt is too long". */
  contextWindowTokens?: number;
}

/**
 * POST /v1/messages: record the request, take the next fault, check the body, ask the brain
 * for the turn and answer with a Message (JSON) or its events (SSE) as the real API would.
 */
export async function handleMessages(
  state: EndpointState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('the client disconnected'));
  });
  const parsed = await readParsedBody(req);
  const index = state.requests.length;
  const requestId = `req_fake_${index}`;
  const fault = state.faults.shift();
  const record: RecordedRequest = {
    index,
    time: new Date(),
    headers: headersOf(req),
    body: parsed.body,
  };
  if (fault) record.fault = fault.kind;
  state.requests.push(record);
  const stream = parsed.body.stream === true;
  state.logger.debug(
    { requestIndex: index, fault: fault?.kind, stream, model: parsed.body.model },
    'messages request',
  );

  try {
    const errorAnswer = fault && faultAnswer(fault);
    if (errorAnswer) return sendError(res, requestId, errorAnswer);
    if (fault?.kind === 'delay') await sleep(fault.ms, abort.signal);
    if (fault?.kind === 'cut_stream' && !stream) {
      req.socket.destroy();
      return;
    }
    if (!parsed.ok) {
      record.rejected = parsed.problem;
      const status = parsed.tooLarge ? 413 : 400;
      const type = parsed.tooLarge ? 'request_too_large' : 'invalid_request_error';
      return sendError(res, requestId, { status, type, message: parsed.problem });
    }
    const tooLong = windowAnswer(parsed.body, state.contextWindowTokens);
    if (tooLong) {
      record.rejected = tooLong.message;
      return sendError(res, requestId, tooLong);
    }
    const turn = await askBrain(state, parsed.body, index, abort.signal);
    if (abort.signal.aborted) return;
    if ('failure' in turn) {
      state.logger.error({ requestIndex: index, reason: turn.failure }, 'the brain failed');
      return sendError(res, requestId, { status: 500, type: 'api_error', message: turn.failure });
    }
    const message = messageOf(state, parsed.body, turn);
    if (!stream) return sendJson(res, requestId, message);
    const cutAfter = fault?.kind === 'cut_stream' ? fault.afterEvents : undefined;
    await writeEventStream(res, requestId, messageEvents(message), {
      delayMs: state.eventDelayMs,
      cutAfter,
      signal: abort.signal,
    });
  } catch (err) {
    // A client that went away mid-request is not a fault of the server.
    if (abort.signal.aborted) return;
    throw err;
  }
}

async function readParsedBody(req: IncomingMessage): Promise<ParsedBody & { tooLarge?: true }> {
  try {
    return parseMessagesBody(await readBody(req));
  } catch (err) {
    if (!(err instanceof BodyTooLarge)) throw err;
    return { ok: false, body: {} as MessagesRequest, problem: err.message, tooLarge: true };
  }
}

async function askBrain(
  state: EndpointState,
  request: MessagesRequest,
  requestIndex: number,
  signal: AbortSignal,
): Promise<AssistantTurn | { failure: string }> {
  const nextToolUseId = () => `toolu_fake_${++state.ids.toolUse}`;
  try {
    const turn = await state.brain(request, { requestIndex, signal });
    return assistantTurn(turn, request, nextToolUseId);
  } catch (err) {
    if (signal.aborted) throw err;
    const reason =
      err instanceof BadTurn ? err.message : `the brain threw: ${(err as Error)?.message ?? err}`;
    return { failure: `fake-anthropic could not answer: ${reason}` };
  }
}

function messageOf(state: EndpointState, request: MessagesRequest, turn: AssistantTurn): Message {
  return {
    id: `msg_fake_${++state.ids.message}`,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: turn.content,
    stop_reason: turn.stopReason,
    stop_sequence: turn.stopSequence,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: state.meter.measure(request, turn.content),
  };
}

function sendJson(res: ServerResponse, requestId: string, message: Message): void {
  const body = JSON.stringify(message);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'request-id': requestId,
  });
  res.end(body);
}

/** Any other method or path: 404 in Anthropic's error shape, naming what is served. */
export function handleNotFound(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  sendError(res, 'req_fake_not_found', {
    status: 404,
    type: 'not_found_error',
    message: `${req.method} ${req.url} is not served here: this offline stand-in for the Anthropic API answers only POST /v1/messages`,
  });
}
