import { readFileSync } from 'node:fs';
import { createLeadClient } from '@codeframe/rpc';
import { Command, CommanderError } from 'commander';
import type { CliContext } from './cli-context.js';
import { CliError, Exit } from './cli-error.js';
import type { CommandFamily, CommandOptions, CommandSpec, DefineCommand } from './command-table.js';
import { completionCommands } from './commands/completion.js';
import { controlCommands } from './commands/control.js';
import { doctorCommands } from './commands/doctor.js';
import { inspectCommands } from './commands/inspect.js';
import { logsCommands } from './commands/logs.js';
import { runCommands } from './commands/run.js';
import { watchCommands } from './commands/watch.js';
import { text } from './option-values.js';

/**
 * The command table: every family of commands, in the order `codeframe --help` lists them.
 * A new family is a file in src/commands exporting a CommandFamily, added here.
 */
const FAMILIES: CommandFamily[] = [
  runCommands,
  inspectCommands,
  logsCommands,
  watchCommands,
  controlCommands,
  doctorCommands,
  completionCommands,
];

const EXIT_STATUS = `
Exit status: 0 every task completed (or the command succeeded); 1 the work failed or was
stopped (a task failed, the budget ran out); 2 wrong usage or an unreadable file; 3 the lead
could not be reached, refused the token, or refused the request.

Run \`codeframe <command> --help\` for a command's arguments and options.
`;

export interface CliIo {
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
  tty: boolean;
  columns: () => number;
  signal: AbortSignal;
}

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Runs one command line; resolves to the exit status. Failures throw a CliError. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let status: number = Exit.Ok;
  const program = cliProgram(io, (exitCode) => {
    status = exitCode;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    // Help and the version were printed: done.
    if (error instanceof CommanderError && error.exitCode === 0) return Exit.Ok;
    throw error;
  }
  return status;
}

/** The codeframe command and its subcommands; a handler's exit status goes to `exited`. */
export function cliProgram(io: CliIo, exited: (exitCode: number) => void): Command {
  const program = new Command('codeframe')
    .description(
      'Run a PRD, watch projects live, answer blockers and control tasks, over the lead’s gRPC API.',
    )
    .version(VERSION, '-V, --version', 'the version of codeframe')
    .option('--lead <url>', 'the lead (default: $CODEFRAME_LEAD_URL, else http://127.0.0.1:7100)')
    .option('--token <token>', 'bearer token for the lead (default: $CODEFRAME_AUTH_TOKEN)')
    .option('--json', 'JSON output for scripts (run, watch and logs: one event per line)')
    .helpOption('-h, --help', 'this help')
    .helpCommand('help [command]', 'the help of a command')
    .addHelpText('after', EXIT_STATUS);
  configure(program, io);
  const define: DefineCommand = (usage, summary, handler, spec = {}) => {
    const command = program.command(usage).summary(summary).description(summary);
    configure(command, io, spec);
    command.action(async (...params: unknown[]) => {
      const self = params.at(-1) as Command;
      const args = self.processedArgs.flatMap((a: string | string[] | undefined) => a ?? []);
      const options = self.optsWithGlobals<CommandOptions>();
      const ctx = spec.lead === false ? offline(io, options) : context(io, options);
      exited(await handler(ctx, args, options, self));
    });
    return command;
  };
  for (const family of FAMILIES) family(define);
  return program;
}

/** Help on stdout; refusals thrown as a CliError with the misused command's usage. */
function configure(command: Command, io: CliIo, spec: CommandSpec = {}): void {
  command
    .configureHelp({ showGlobalOptions: true, helpWidth: 100 })
    .configureOutput({ writeOut: io.out, writeErr: () => {}, outputError: () => {} })
    .exitOverride((error) => {
      throw refusal(error, command, spec);
    });
}

/** Commander's refusal of a command line as one sentence, exit status 2 and the usage. */
function refusal(error: CommanderError, command: Command, spec: CommandSpec): Error {
  if (error.exitCode === 0) return error;
  const usage = command.helpInformation();
  const name = command.parent ? command.name() : '';
  if (error.code === 'commander.help') {
    return new CliError('a command is needed', Exit.Usage, usage);
  }
  if (error.code === 'commander.missingArgument' && spec.needs) {
    return new CliError(`${name} needs ${spec.needs}`, Exit.Usage, usage);
  }
  // "error: unknown command 'launch'\n(Did you mean lunch?)" as one line.
  let sentence = error.message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)')
    .replace(/ for '[^']*'\./, '.');
  if (error.code === 'commander.unknownCommand') {
    sentence = sentence.replace(/^unknown command '(.*?)'/, 'unknown command "$1"');
  }
  return new CliError(name ? `${name}: ${sentence}` : sentence, Exit.Usage, usage);
}

function context(io: CliIo, options: CommandOptions): CliContext {
  const url = (text(options.lead) ?? io.env.CODEFRAME_LEAD_URL ?? 'http://127.0.0.1:7100').replace(
    /\/+$/,
    '',
  );
  if (!/^https?:\/\/[^/]+/.test(url)) {
    throw new CliError(`--lead must be an http:// or https:// URL, got "${url}"`, Exit.Usage);
  }
  const target = { url, token: text(options.token) ?? io.env.CODEFRAME_AUTH_TOKEN ?? undefined };
  const lead = createLeadClient({ baseUrl: url, token: target.token, unaryTimeoutMs: 120_000 });
  return { lead, target, ...output(io, options) };
}

/** The context of a command that never talks to the lead (completion). */
function offline(io: CliIo, options: CommandOptions): CliContext {
  return {
    get lead(): never {
      throw new Error('this command does not talk to the lead');
    },
    target: { url: '', token: undefined },
    ...output(io, options),
  };
}

function output(io: CliIo, options: CommandOptions): Omit<CliContext, 'lead' | 'target'> {
  const json = options.json === true;
  return {
    out: io.out,
    env: io.env,
    json,
    tty: io.tty && !json,
    columns: io.columns,
    signal: io.signal,
    dashboardUrl: (text(options.dashboard) ?? io.env.CODEFRAME_DASHBOARD_URL)?.replace(/\/+$/, ''),
  };
}
