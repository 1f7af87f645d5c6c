export { type CliIo, cliProgram, runCli } from './cli.js';
export { CliError, Exit } from './cli-error.js';
