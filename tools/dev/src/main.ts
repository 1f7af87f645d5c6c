// `npm start`: brings up the lead, the three workers and the edge on this machine, checks
// each is healthy, builds an example PRD through the codeframe CLI while the dashboard shows
// it live, checks out the result, and keeps the services running until Ctrl-C.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, clientTls, EXIT_CONFIG, loadConfig, tlsConfigured } from '@codeframe/runtime';
import type { ChildService } from './child-service.js';
import { seedExamplePackages } from './example-packages.js';
import { exampleRepoRoot, seedExampleRepo } from './example-repo.js';
import { interruptedRunLine, signalExitStatus } from './interrupted-run.js';
import { LaunchError, Launcher } from './launcher.js';
import {
  type BuiltProject,
  checkOutLatest,
  choosePrd,
  DEFAULT_EXAMPLE,
  runPrd,
} from './main-job.js';
import { type LauncherConfig, launcherSettings, serviceSpecs } from './services.js';

const USAGE = `usage: npm start [-- [--once] [--example <name> | --prd <file>] [--services-only] [--verbose]]

  --once             exit when the run ends, with its status (0: every task completed)
  --example <name>   the example to build (default: ${DEFAULT_EXAMPLE}; see examples/)
  --prd <file>       build this PRD instead (offline, fake-anthropic only knows the examples)
  --services-only    start the services and wait, without running anything
  --verbose          keep printing the services' info lines during the run
`;

const root = fileURLToPath(new URL('../../..', import.meta.url));
const out = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  let args: {
    once?: boolean;
    verbose?: boolean;
    help?: boolean;
    example?: string;
    prd?: string;
    'services-only'?: boolean;
  };
  let prd: string;
  try {
    args = parseArgs({
      options: {
        once: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        example: { type: 'string' },
        prd: { type: 'string' },
        'services-only': { type: 'boolean' },
      },
    }).values;
    prd = choosePrd(root, args);
  } catch (err) {
    process.stderr.write(`npm start: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  let config: LauncherConfig;
  try {
    // TLS settings are checked here, once, rather than by each service and client in turn.
    clientTls();
    config = { ...loadConfig(launcherSettings), scheme: tlsConfigured() ? 'https' : 'http' };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`codeframe: configuration error: ${err.message}\n`);
    return EXIT_CONFIG;
  }

  const launcher = new Launcher({
    root,
    host: config.host,
    scheme: config.scheme,
    specs: serviceSpecs(config),
    env: {},
    verbose: args.verbose ?? false,
    color: process.stdout.isTTY === true,
    out,
    startTimeoutMs: 30_000,
    stopTimeoutMs: 15_000,
  });
  process.on('exit', () => launcher.killAll());
  let stopSignal: NodeJS.Signals | undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        stopSignal = signal;
        resolve(signal);
      });
    }
  });

  const started = performance.now();
  if (!args['services-only']) {
    const seeded = await seedExamplePackages(prd, config.dataDir).catch(
      (err: Error) =>
        `Could not seed the package cache (${err.message}): the sandboxes use the registry.`,
    );
    if (seeded) out(seeded);
  }
  // Interrupted, the start rejects once the services it started are stopped: nothing to say.
  const starting = launcher.start();
  starting.catch(() => {});
  try {
    await Promise.race([starting, signalled]);
  } catch (err) {
    out(`\n✗ ${err instanceof LaunchError ? err.message : (err as Error).message}`);
    const failed = launcher.children.find((c) => !c.running) ?? launcher.children.at(-1);
    if (failed) reportLastLines(failed);
    await launcher.stop();
    return 1;
  }
  if (stopSignal) {
    await launcher.stop();
    out(`✗ interrupted by ${stopSignal} while the services started: nothing ran; ${STOPPED}`);
    return signalExitStatus(stopSignal);
  }

  out(summary(launcher, config, performance.now() - started));
  launcher.quiet = true;
  if (config.apiKey === undefined) {
    out(
      'The model is fake-anthropic, an offline scripted stand-in for the Anthropic API, not Claude.\nSet ANTHROPIC_API_KEY to have the workers drive Claude.\n',
    );
  }
  const portOf = (name: string, listener: string) =>
    launcher.children.find((c) => c.spec.name === name)?.ports[listener];
  const leadUrl = `${config.scheme}://${config.host}:${portOf('lead', 'rpc')}`;
  const edgeUrl = `http://${config.host}:${portOf('edge', 'http')}`;
  let status = 0;
  if (!args['services-only']) {
    out(`Building ${relative(root, prd)} with: codeframe run ${relative(root, prd)}\n`);
    const runStarted = Date.now();
    const interrupt = new AbortController();
    void signalled.then(() => interrupt.abort());
    let repoUrl: string | undefined;
    try {
      repoUrl = await seedExampleRepo(prd, exampleRepoRoot(config.dataDir));
    } catch (err) {
      out(`✗ could not make the example's existing repository: ${(err as Error).message}`);
      await launcher.stop();
      return 1;
    }
    if (stopSignal) return interrupted(launcher, stopSignal, leadUrl, runStarted);
    if (repoUrl) out(`The example changes an existing project: its repository is ${repoUrl}\n`);
    const run = runPrd({ root, prd, leadUrl, edgeUrl, repoUrl, signal: interrupt.signal });
    const outcome = await Promise.race([run, launcher.crashed()]);
    if (typeof outcome !== 'number') {
      interrupt.abort();
      await run;
      return crashed(launcher, outcome);
    }
    status = outcome;
    if (stopSignal) return interrupted(launcher, stopSignal, leadUrl, runStarted);
    const built = await checkOutLatest(leadUrl, edgeUrl, config.dataDir).catch((err) => {
      out(`could not check out the result: ${(err as Error).message}`);
      return undefined;
    });
    if (built) out(builtSummary(built, status));
  }
  out(`Dashboard: ${edgeUrl}/`);
  if (args.once) {
    await launcher.stop();
    out('stopped (--once)');
    return status;
  }
  out('Press Ctrl-C to stop.\n');
  const outcome = await Promise.race([signalled, launcher.crashed()]);
  if (typeof outcome === 'string') {
    out(`\n${outcome}: stopping every service…`);
    await launcher.stop();
    out('stopped');
    return 0;
  }
  return crashed(launcher, outcome);
}

const STOPPED = 'every service is stopped';

/**
 * Ctrl-C (or SIGTERM) before the run ended: asks the lead what the run left, stops every
 * service, says so in one line, and returns the shell's status for the signal.
 */
async function interrupted(
  launcher: Launcher,
  signal: NodeJS.Signals,
  leadUrl: string,
  runStarted: number,
): Promise<number> {
  const line = await interruptedRunLine(signal, leadUrl, runStarted);
  await launcher.stop();
  out(`${line}; ${STOPPED}`);
  return signalExitStatus(signal);
}

async function crashed(launcher: Launcher, child: ChildService): Promise<number> {
  out(`\n✗ ${child.spec.name} exited (${await child.exited}) while running.`);
  reportLastLines(child);
  await launcher.stop();
  return 1;
}

function builtSummary(built: BuiltProject, status: number): string {
  // Dependencies are never committed: a checkout with a lockfile installs them first.
  const install = existsSync(join(built.checkout, 'package-lock.json')) ? 'npm ci && ' : '';
  return [
    '',
    status === 0
      ? `✓ ${built.name} is built.`
      : `✗ ${built.name} did not finish (codeframe exited ${status}).`,
    `  dashboard   ${built.dashboard}`,
    `  repository  ${built.checkout}   (its main branch; try: cd ${built.checkout} && ${install}npm test)`,
    '',
  ].join('\n');
}

function reportLastLines(child: ChildService): void {
  const lines = child.recentOutput();
  if (lines.length === 0) return;
  out(`  last lines of ${child.spec.name}:`);
  for (const line of lines) out(`    ${line}`);
}

function summary(launcher: Launcher, { host, scheme }: LauncherConfig, ms: number): string {
  const rows = launcher.children.map((child) => {
    const name = child.spec.name.padEnd(16);
    if (child.spec.name === 'fake-anthropic') {
      const url = `http://${host}:${child.ports.http}`;
      return `  ${name}${url.padEnd(26)} offline stand-in for the Anthropic API`;
    }
    if (child.spec.name === 'edge') {
      const http = `http://${host}:${child.ports.http}`;
      return `  ${name}${http.padEnd(26)} websocket ws://${host}:${child.ports.http}/ws, health gRPC :${child.ports.rpc}`;
    }
    const url = `${scheme}://${host}:${child.ports.rpc}`;
    return `  ${name}${url.padEnd(26)} gRPC, gRPC-Web, Connect`;
  });
  return [
    '',
    `CodeFRAME-TS is up: ${launcher.children.length} services healthy in ${(ms / 1000).toFixed(1)} s`,
    ...rows,
    '',
  ].join('\n');
}

process.exitCode = await main();
