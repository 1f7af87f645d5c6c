import { EdgeTokenError } from '@codeframe/events';
import { type Logger, newErrorId } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';
import { BadRequest } from './bad-request.js';
import type { EdgeMetrics } from './edge-metrics.js';

export interface ErrorReply {
  status: string;
  body: { error: string; error_id?: string };
}

/**
 * The one mapping from an error a handler threw to what the client is told: its own
 * mistakes (400, 401) and the lead's answers (404, 400, 502) in words, anything else a 500
 * naming the id under which the error was logged.
 */
export function errorReply(
  error: unknown,
  where: string,
  logger: Logger,
  metrics: EdgeMetrics,
): ErrorReply {
  if (error instanceof BadRequest) {
    metrics.badRequests++;
    return { status: '400 Bad Request', body: { error: error.message } };
  }
  if (error instanceof EdgeTokenError) {
    metrics.authFailures++;
    return { status: '401 Unauthorized', body: { error: error.message } };
  }
  if (error instanceof ConnectError) {
    switch (error.code) {
      case Code.NotFound:
        return { status: '404 Not Found', body: { error: error.rawMessage } };
      case Code.InvalidArgument:
        return { status: '400 Bad Request', body: { error: error.rawMessage } };
      default:
        logger.warn({ err: error, where }, 'a lead call failed');
        return {
          status: '502 Bad Gateway',
          body: { error: `the lead did not answer: ${error.rawMessage}` },
        };
    }
  }
  const errorId = logInternalError(error, where, logger, metrics);
  return {
    status: '500 Internal Server Error',
    body: { error: internalErrorSentence(errorId), error_id: errorId },
  };
}

/** Logs an error that is the edge's own fault; returns the id the client is told. */
export function logInternalError(
  error: unknown,
  where: string,
  logger: Logger,
  metrics: EdgeMetrics,
): string {
  const errorId = newErrorId();
  metrics.internalErrors++;
  logger.error({ err: error, errorId, where }, 'edge handler failed');
  return errorId;
}

export function internalErrorSentence(errorId: string): string {
  return `the edge failed to handle this (error ${errorId}); its log has the details under that id`;
}
