#!/usr/bin/env node
import { runCli } from './cli.js';
// The codeframe command. Failures print one sentence on stderr and exit non-zero.
import { CliError, Exit } from './cli-error.js';
import { printable } from './format.js';

const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});
process.once('SIGTERM', () => interrupt.abort());

let status: number;
try {
  status = await runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    env: process.env,
    tty: process.stdout.isTTY === true,
    columns: () => process.stdout.columns ?? 100,
    signal: interrupt.signal,
  });
} catch (error) {
  if (error instanceof CliError) {
    // The sentence may quote the lead, which may quote a client or the model.
    process.stderr.write(`codeframe: ${printable(error.message)}\n`);
    if (error.usage) process.stderr.write(`\n${error.usage}`);
    status = error.exitCode;
  } else {
    const detail = printable(String((error as Error).stack ?? error), { multiline: true });
    process.stderr.write(`codeframe: unexpected error: ${detail}\n`);
    status = Exit.WorkFailed;
  }
}
// The lead's HTTP/2 connection would keep the process alive; exit once output is written.
process.stdout.write('', () => process.exit(status));
