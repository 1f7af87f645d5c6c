import { type DestinationStream, type Logger, pino, stdTimeFunctions } from 'pino';
import pretty from 'pino-pretty';
import { type Env, env, loadConfig } from './config.js';
import { activeTraceIds } from './tracing.js';

export type { Logger };

export const logSettings = {
  level: env.oneOf(
    'LOG_LEVEL',
    ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const,
    'info',
  ),
  format: env.oneOf('LOG_FORMAT', ['auto', 'json', 'pretty'] as const, 'auto'),
};

/**
 * The one logger: JSON lines on stdout, or colourised lines when stdout is a terminal
 * (LOG_FORMAT=json|pretty forces either). Request handlers log through child loggers
 * that carry projectId and taskId. A line written inside a span carries trace_id and span_id.
 */
export function createLogger(
  service: string,
  source: Env = process.env,
  destination?: DestinationStream,
): Logger {
  const { level, format } = loadConfig(logSettings, source);
  // trace_id and span_id of the active span, so a line can be found from its trace.
  const options = {
    name: service,
    level,
    timestamp: stdTimeFunctions.isoTime,
    mixin: activeTraceIds,
  };
  const usePretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (destination) return pino(options, destination);
  if (!usePretty) return pino(options);
  return pino(
    options,
    pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
  );
}

/** A logger that writes nothing, for code paths that were given none. */
export const silentLogger: Logger = pino({ enabled: false });
