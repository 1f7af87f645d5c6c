// `codeframe logs <task>`: the output of the commands a task ran (the model's commands, its
// tests, quality gates, dependency installs, browser checks), as the lead's event log keeps
// it: command_output events, each a chunk of one stream of one command.

import { toBrowserEvent } from '@codeframe/events';
import { type CommandOutput, TaskStatus } from '@codeframe/proto';
import { followEvents } from '@codeframe/rpc';
import type { CliContext } from '../cli-context.js';
import { CliError, Exit, leadError } from '../cli-error.js';
import type { DefineCommand } from '../command-table.js';
import { jsonLine, printable } from '../format.js';

const ENDED = new Set([TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED]);

/**
 * Prints the command output a task's attempts produced so far, each attempt and command
 * under a heading; with `follow`, goes on printing it live until the task ends.
 */
export async function logsCommand(
  ctx: CliContext,
  taskId: string,
  follow: boolean,
): Promise<number> {
  const failed = (e: unknown) => {
    throw leadError(e, ctx.target.url);
  };
  const { task } = await ctx.lead.getTask({ taskId }).catch(failed);
  if (!task) throw new CliError(`the lead sent no task for "${taskId}"`, Exit.Lead);
  const { project } = await ctx.lead.getProject({ projectId: task.projectId }).catch(failed);
  const tail = project?.lastSeq ?? 0n;
  const printer = new OutputPrinter(ctx);
  let status = task.status;
  if (tail > 0n || follow) {
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    ctx.signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const event of followEvents(ctx.lead, task.projectId, 0n, {
        signal: stopped.signal,
        giveUpAfterMs: 120_000,
      })) {
        const p = event.payload;
        if (p.case === 'taskAssigned' && p.value.taskId === taskId) {
          printer.attempt(p.value.attempt, p.value.worker);
        } else if (p.case === 'commandOutput' && p.value.taskId === taskId) {
          if (ctx.json) ctx.out(jsonLine(toBrowserEvent(event)));
          else printer.output(p.value);
        } else if (p.case === 'taskStatusChanged' && p.value.taskId === taskId) {
          status = p.value.to;
        }
        // Without --follow: what the log held when the command started.
        if (event.seq >= tail && (!follow || ENDED.has(status))) break;
      }
    } catch (error) {
      failed(error);
    } finally {
      ctx.signal.removeEventListener('abort', stop);
    }
  }
  printer.close(
    `task ${printable(task.key || taskId)} has run no command${ENDED.has(status) ? '' : ' yet'}`,
  );
  return Exit.Ok;
}

/** Command output as text: a heading per attempt and per command, the chunks escaped. */
class OutputPrinter {
  #command: string | undefined;
  #chunks = 0;
  #atLineStart = true;

  constructor(private readonly ctx: CliContext) {}

  attempt(attempt: number, worker: string): void {
    if (this.ctx.json) return;
    this.#line(`── attempt ${attempt || 1} on ${printable(worker) || 'a worker'} ──`);
    this.#command = undefined;
  }

  output(chunk: CommandOutput): void {
    if (chunk.command !== this.#command) {
      this.#line(`$ ${printable(chunk.command)}`);
      this.#command = chunk.command;
    }
    const text = printable(chunk.chunk, { multiline: true });
    if (text) {
      this.ctx.out(text);
      this.#atLineStart = text.endsWith('\n');
    }
    this.#chunks++;
    if (chunk.truncated) this.#line('[the rest of this output was cut: it went over the cap]');
  }

  /** Ends the last line; says so when there was no output at all. */
  close(nothing: string): void {
    if (this.ctx.json) return;
    if (this.#chunks === 0) this.#line(nothing);
    else if (!this.#atLineStart) this.ctx.out('\n');
  }

  #line(text: string): void {
    this.ctx.out(`${this.#atLineStart ? '' : '\n'}${text}\n`);
    this.#atLineStart = true;
  }
}

export function logsCommands(define: DefineCommand): void {
  define(
    'logs <task>',
    "a task's command output (commands, tests, quality gates), attempt by attempt",
    (ctx, [taskId], o) => logsCommand(ctx, taskId!, o.follow === true),
    { needs: 'a task id' },
  ).option('-f, --follow', 'go on printing it live until the task ends');
}
