export { type CliIo, runCli, USAGE } from './cli.js';
export { CliError, Exit } from './cli-error.js';
