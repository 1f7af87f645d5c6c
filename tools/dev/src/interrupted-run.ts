// What `npm start` says and returns when Ctrl-C (or a SIGTERM) stops it before the run
// ended: the shell's status for the signal, and one line naming what the run left.
import { constants } from 'node:os';
import { type Task, TaskStatus } from '@codeframe/proto';
import { createLeadClient } from '@codeframe/rpc';
import { latestProject } from './main-job.js';

/** The shell's status for a process its signal stopped: 128 + its number (130, 143). */
export function signalExitStatus(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

const ASK_MS = 5_000;
const DONE = new Set([TaskStatus.COMPLETED]);
const RUNNING = new Set([TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED]);
const ENDED = new Set([TaskStatus.FAILED, TaskStatus.CANCELLED]);

/** Keys and names come from the model's plan: no control character reaches the terminal. */
const shown = (text: string) => text.replace(/\p{C}/gu, '?');
const keys = (tasks: Task[]) =>
  tasks.length ? ` (${tasks.map((t) => shown(t.key)).join(', ')})` : '';

/** How far a project's tasks got: "1 of 4 tasks completed (models), 1 running (store), …". */
export function taskProgress(tasks: Task[]): string {
  const done = tasks.filter((t) => DONE.has(t.status));
  const running = tasks.filter((t) => RUNNING.has(t.status));
  const ended = tasks.filter((t) => ENDED.has(t.status));
  const waiting = tasks.length - done.length - running.length - ended.length;
  return [
    `${done.length} of ${tasks.length} tasks completed${keys(done)}`,
    `${running.length} running${keys(running)}`,
    ...(ended.length ? [`${ended.length} failed or cancelled${keys(ended)}`] : []),
    `${waiting} not started`,
  ].join(', ');
}

/**
 * The line for a run `signal` interrupted, asked of the lead (still up) at `leadUrl`: the
 * project made since `since` (ms since the epoch) and how far its tasks got.
 */
export async function interruptedRunLine(
  signal: NodeJS.Signals,
  leadUrl: string,
  since: number,
): Promise<string> {
  const head = `✗ interrupted by ${signal} before the run ended`;
  try {
    const lead = createLeadClient({ baseUrl: leadUrl });
    // A lead that does not answer soon does not hold up the stop.
    const project = await latestProject(lead, { timeoutMs: ASK_MS });
    const created = project?.createdAt ? Number(project.createdAt.seconds) * 1000 : 0;
    // Seconds only: a project of this run may carry a second before `since`.
    if (!project || created < since - 1000) return `${head}: no project was created yet`;
    const { tasks } = await lead.listTasks({ projectId: project.id }, { timeoutMs: ASK_MS });
    if (tasks.length === 0) return `${head}: ${JSON.stringify(project.name)} was not planned yet`;
    return `${head}: ${JSON.stringify(project.name)} has ${taskProgress(tasks)}`;
  } catch (err) {
    return `${head} (the lead did not say what was done: ${(err as Error).message})`;
  }
}
