import { parseArgs } from 'node:util';
import { createLeadClient } from '@codeframe/rpc';
import type { CliContext } from './cli-context.js';
import { CliError, Exit } from './cli-error.js';
import {
  answerCommand,
  budgetCommand,
  cancelCommand,
  pauseCommand,
  resumeCommand,
} from './commands/control.js';
import { doctorCommand } from './commands/doctor.js';
import {
  artifactCommand,
  projectsCommand,
  statusCommand,
  tasksCommand,
} from './commands/inspect.js';
import { runCommand } from './commands/run.js';
import { watchCommand } from './commands/watch.js';

export const USAGE = `usage: codeframe <command> [arguments] [options]

commands:
  run <prd.md>              create a project from the PRD, plan it, build it, watch it to the end
  projects                  list the projects
  status <project>          a project's status, usage and open blockers
  tasks <project>           a project's tasks (and their artifacts: browser-check screenshots)
  artifact <id>             save an artifact (-o <file>; default: its file name, here)
  watch <project>           follow a project live until it ends (--from <seq> resumes after a seq)
  answer <blocker> <text>   answer a blocker; its task resumes
  cancel <task>             cancel a task
  pause <project>           start nothing new; running tasks finish
  resume <project>          start dispatching again
  budget <project> <usd>    set the project's budget (0: none); a project waiting on its
                            spent budget goes on
  doctor                    can this machine run CodeFRAME? Node and uWebSockets.js, bwrap,
                            git, Chromium, Python gRPC, the default ports, the lead (1: a
                            required check failed)

options:
  --lead <url>              the lead (default: $CODEFRAME_LEAD_URL, else http://127.0.0.1:7100)
  --token <token>           bearer token for the lead (default: $CODEFRAME_AUTH_TOKEN)
  --json                    JSON output for scripts (run and watch: one event per line)
  --name <name>             run: the project's name (default: the PRD's first heading)
  --budget <usd>            run: stop the project's tasks once this much is spent
  --concurrency <n>         run: tasks running at once (default: the lead's)
  --repo <url>              run: start from this existing repository (the lead maps it for
                            the planner and the tasks) instead of an empty one
  --review on|off           run: review each task's diff before it merges (default: the
                            lead's, CODEFRAME_REVIEW)
  --dashboard <url>         run: print a link to the dashboard (default: $CODEFRAME_DASHBOARD_URL)
  -o, --output <file>       artifact: where to save it
  -h, --help                this help

exit status: 0 every task completed (or the command succeeded); 1 the work failed or was
stopped (a task failed, the budget ran out); 2 wrong usage or an unreadable file; 3 the lead
could not be reached, refused the token, or refused the request.
`;

export interface CliIo {
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
  tty: boolean;
  columns: () => number;
  signal: AbortSignal;
}

const OPTIONS = {
  lead: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  name: { type: 'string' },
  budget: { type: 'string' },
  concurrency: { type: 'string' },
  repo: { type: 'string' },
  review: { type: 'string' },
  dashboard: { type: 'string' },
  from: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs one command line; resolves to the exit status. Failures throw a CliError. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message} (see codeframe --help)`, Exit.Usage);
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || !command) {
    io.out(USAGE);
    return command || values.help ? Exit.Ok : Exit.Usage;
  }
  const url = (values.lead ?? io.env.CODEFRAME_LEAD_URL ?? 'http://127.0.0.1:7100').replace(
    /\/+$/,
    '',
  );
  if (!/^https?:\/\/[^/]+/.test(url)) {
    throw new CliError(`--lead must be an http:// or https:// URL, got "${url}"`, Exit.Usage);
  }
  const target = { url, token: values.token ?? io.env.CODEFRAME_AUTH_TOKEN ?? undefined };
  const ctx: CliContext = {
    lead: createLeadClient({ baseUrl: url, token: target.token, unaryTimeoutMs: 120_000 }),
    target,
    out: io.out,
    json: values.json ?? false,
    tty: io.tty && !values.json,
    columns: io.columns,
    signal: io.signal,
    dashboardUrl: (values.dashboard ?? io.env.CODEFRAME_DASHBOARD_URL)?.replace(/\/+$/, ''),
  };
  const need = (count: number, what: string) => {
    if (args.length < count) {
      throw new CliError(`${command} needs ${what} (see codeframe --help)`, Exit.Usage);
    }
  };
  switch (command) {
    case 'run':
      need(1, 'the path of a PRD file');
      return runCommand(ctx, {
        prdPath: args[0]!,
        ...(values.name ? { name: values.name } : {}),
        ...(values.repo ? { repoUrl: values.repo } : {}),
        ...(values.budget !== undefined ? { budgetUsd: positive('--budget', values.budget) } : {}),
        ...(values.concurrency !== undefined
          ? { maxConcurrency: Math.floor(positive('--concurrency', values.concurrency)) }
          : {}),
        ...(values.review !== undefined ? { review: onOff('--review', values.review) } : {}),
      });
    case 'projects':
      return projectsCommand(ctx);
    case 'status':
      need(1, 'a project id');
      return statusCommand(ctx, args[0]!);
    case 'tasks':
      need(1, 'a project id');
      return tasksCommand(ctx, args[0]!);
    case 'artifact':
      need(1, 'an artifact id (codeframe tasks lists them)');
      return artifactCommand(ctx, args[0]!, values.output);
    case 'watch': {
      need(1, 'a project id');
      const from = values.from ?? '0';
      if (!/^\d+$/.test(from))
        throw new CliError(`--from must be a seq (0 or more), got "${from}"`, Exit.Usage);
      return watchCommand(ctx, args[0]!, BigInt(from));
    }
    case 'answer':
      need(2, 'a blocker id and the answer');
      return answerCommand(ctx, args[0]!, args.slice(1).join(' '));
    case 'cancel':
      need(1, 'a task id');
      return cancelCommand(ctx, args[0]!);
    case 'pause':
      need(1, 'a project id');
      return pauseCommand(ctx, args[0]!);
    case 'resume':
      need(1, 'a project id');
      return resumeCommand(ctx, args[0]!);
    case 'budget':
      need(2, 'a project id and a budget in USD');
      return budgetCommand(ctx, args[0]!, amount('budget', args[1]!));
    case 'doctor':
      return doctorCommand(ctx, {
        env: io.env,
        leadNamed: values.lead !== undefined || Boolean(io.env.CODEFRAME_LEAD_URL),
      });
    default:
      throw new CliError(`unknown command "${command}" (see codeframe --help)`, Exit.Usage);
  }
}

/** 0 (none) or a positive amount of USD. */
function amount(what: string, raw: string): number {
  const n = raw.trim() ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) {
    throw new CliError(
      `${what} must be 0 (none) or a positive amount of USD, got "${raw}"`,
      Exit.Usage,
    );
  }
  return n;
}

function positive(option: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliError(`${option} must be a positive number, got "${raw}"`, Exit.Usage);
  }
  return n;
}

function onOff(option: string, raw: string): boolean {
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new CliError(`${option} must be "on" or "off", got "${raw}"`, Exit.Usage);
}
