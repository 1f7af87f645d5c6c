// How a command family declares its commands: each file in src/commands exports one
// function that takes `define` and declares its commands, their arguments and options.
import type { Command } from 'commander';
import type { CliContext } from './cli-context.js';

/** The values of a command's options and of the global ones (--lead, --token, --json). */
export type CommandOptions = Record<string, string | boolean | undefined>;

/** Runs a command: resolves to its exit status; failures throw a CliError. */
export type CommandHandler = (
  ctx: CliContext,
  args: string[],
  options: CommandOptions,
  command: Command,
) => Promise<number>;

export interface CommandSpec {
  /** Shown when a required argument is missing: `budget needs <needs>`. */
  needs?: string;
  /** False for a command that never talks to the lead (completion): no --lead checks. */
  lead?: boolean;
}

/**
 * Declares a command, `name <arg> [arg]`, with its one-line summary and its handler; add
 * its options to the Command it returns.
 */
export type DefineCommand = (
  usage: string,
  summary: string,
  handler: CommandHandler,
  spec?: CommandSpec,
) => Command;

/** A file of src/commands: declares its family of commands. */
export type CommandFamily = (define: DefineCommand) => void;
