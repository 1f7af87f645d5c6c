import { ConfigError } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { missingNodeArgs } from './service-node-args.js';
import { startTracing, type Tracing } from './tracing.js';

/** A started service: what `runService` needs to stop it. */
export interface RunningService {
  /** Stops gracefully: stop accepting, drain, release. */
  stop(): Promise<void>;
}

/** Exit status for a configuration error (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * The lifecycle every service process shares: build the logger, start, and on SIGTERM or
 * SIGINT stop gracefully (exporting the last spans) and exit 0. A configuration error stops the process with one line
 * naming the variable; a second signal forces the exit.
 */
export async function runService(
  name: string,
  start: (log: Logger) => Promise<RunningService>,
): Promise<void> {
  let log: Logger;
  let tracing: Tracing;
  try {
    log = createLogger(name);
    // Before the service's code, so its first spans are recorded.
    tracing = startTracing(name);
  } catch (err) {
    return failConfig(name, err);
  }
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection');
    process.exit(1);
  });

  // Signals are handled from the start: one that arrives while the service is still
  // starting stops it as soon as it has started, not half-way.
  let service: RunningService | undefined;
  let requested: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals, running: RunningService) => {
    log.info({ signal }, 'shutting down');
    running
      .stop()
      .then(() =>
        tracing.shutdown().catch((err) => log.warn({ err }, 'could not export the last spans')),
      )
      .then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested) {
      log.warn({ signal }, 'second signal: exiting without waiting for the drain');
      process.exit(1);
    }
    requested = signal;
    if (service) stop(signal, service);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const missing = missingNodeArgs();
  if (missing.length > 0) {
    log.warn(
      { missing },
      `started without ${missing.join(' ')}, which its package.json declares (codeframe.nodeArgs): ` +
        `start it as node ${missing.join(' ')} ${process.argv[1]}`,
    );
  }
  try {
    service = await start(log);
  } catch (err) {
    if (err instanceof ConfigError) return failConfig(name, err);
    log.fatal({ err }, `${name} failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  if (requested) stop(requested, service);
}

function failConfig(name: string, err: unknown): never {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${name}: configuration error: ${err.message}\n`);
  process.exit(EXIT_CONFIG);
}
