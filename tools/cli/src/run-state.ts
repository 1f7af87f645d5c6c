import {
  AgentState,
  type Blocker,
  type Event,
  type MainVerified,
  ProjectStatus,
  type Task,
  TaskStatus,
  type TestSummary,
} from '@codeframe/proto';

export interface TaskView {
  id: string;
  key: string;
  title: string;
  kind: string;
  status: TaskStatus;
  attempt: number;
  worker: string;
  agentState: AgentState;
  agentDetail: string;
  tests: TestSummary | undefined;
  testRuns: number;
  corrections: number;
  commits: number;
  /** Input tokens neither read from nor written to the prompt cache (the API's input_tokens). */
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  costUsd: number;
  error: string;
}

/** A project's run as the events tell it: what `run` and `watch` show and summarise. */
export class RunState {
  readonly tasks = new Map<string, TaskView>();
  readonly blockers = new Map<string, Blocker>();
  projectStatus = ProjectStatus.UNSPECIFIED;
  statusReason = '';
  lastSeq = 0n;
  commits = 0;
  merges = 0;
  /** main's checks after merges: how many, and how many were red and went back. */
  mainChecks = { runs: 0, reverted: 0 };
  /** The final main's verification, from the project's last status. */
  finalMain: MainVerified | undefined;
  /** Usage of model calls without a task (planning). */
  planningTokens = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, costUsd: 0 };
  firstEventAt: Date | undefined;
  lastEventAt: Date | undefined;

  apply(event: Event): void {
    this.lastSeq = event.seq;
    const at = event.time ? new Date(Number(event.time.seconds) * 1000) : new Date();
    this.firstEventAt ??= at;
    this.lastEventAt = at;
    const { payload } = event;
    switch (payload.case) {
      case 'planReady':
        for (const task of payload.value.tasks) this.#addTask(task);
        return;
      case 'taskStatusChanged': {
        const task = this.tasks.get(payload.value.taskId);
        if (!task) return;
        task.status = payload.value.to;
        if (payload.value.attempt) task.attempt = payload.value.attempt;
        if (payload.value.reason && payload.value.to !== TaskStatus.COMPLETED) {
          task.error = payload.value.reason;
        }
        return;
      }
      case 'taskAssigned': {
        const task = this.tasks.get(payload.value.taskId);
        if (!task) return;
        task.worker = payload.value.worker;
        task.attempt = payload.value.attempt;
        return;
      }
      case 'agentStatusChanged': {
        const task = this.tasks.get(payload.value.taskId);
        if (!task) return;
        task.agentState = payload.value.state;
        task.agentDetail = payload.value.detail;
        return;
      }
      case 'testResult': {
        const task = this.tasks.get(payload.value.taskId);
        if (!task) return;
        task.tests = payload.value.summary;
        task.testRuns++;
        return;
      }
      case 'correctionAttempt': {
        const task = this.tasks.get(payload.value.taskId);
        if (task) task.corrections++;
        return;
      }
      case 'commitCreated': {
        // The lead reports each merge into main as a commit on branch "main".
        if (payload.value.branch === 'main') {
          this.merges++;
          return;
        }
        this.commits++;
        const task = this.tasks.get(payload.value.taskId);
        if (task) task.commits++;
        return;
      }
      case 'tokenUsage': {
        const call = payload.value.call;
        if (!call) return;
        const task = this.tasks.get(payload.value.taskId);
        if (task) {
          task.inputTokens += Number(call.inputTokens);
          task.cacheReadTokens += Number(call.cacheReadInputTokens);
          task.cacheWriteTokens += Number(call.cacheCreationInputTokens);
          task.outputTokens += Number(call.outputTokens);
          task.costUsd += call.costUsd;
        } else {
          this.planningTokens.input += Number(call.inputTokens);
          this.planningTokens.cacheRead += Number(call.cacheReadInputTokens);
          this.planningTokens.cacheWrite += Number(call.cacheCreationInputTokens);
          this.planningTokens.output += Number(call.outputTokens);
          this.planningTokens.costUsd += call.costUsd;
        }
        return;
      }
      case 'blockerCreated':
      case 'blockerResolved': {
        const blocker = payload.value.blocker;
        if (blocker) this.blockers.set(blocker.id, blocker);
        return;
      }
      case 'projectStatus':
        this.projectStatus = payload.value.status;
        this.statusReason = payload.value.reason;
        this.finalMain = payload.value.main ?? this.finalMain;
        return;
      case 'mainVerified':
        this.mainChecks.runs++;
        if (payload.value.reverted) this.mainChecks.reverted++;
        return;
      default:
        return;
    }
  }

  /** Seeds tasks known before the first event watched (a `watch` from a later seq). */
  seed(tasks: readonly Task[]): void {
    for (const task of tasks) this.#addTask(task);
  }

  get ended(): boolean {
    return (
      this.projectStatus === ProjectStatus.COMPLETED || this.projectStatus === ProjectStatus.FAILED
    );
  }

  get totals() {
    const tasks = [...this.tasks.values()];
    const sum = (f: (t: TaskView) => number) => tasks.reduce((n, t) => n + f(t), 0);
    const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length;
    return {
      tasks: tasks.length,
      completed: count(TaskStatus.COMPLETED),
      failed: count(TaskStatus.FAILED),
      cancelled: count(TaskStatus.CANCELLED),
      running: tasks.filter((t) => [TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS].includes(t.status))
        .length,
      blocked: count(TaskStatus.BLOCKED),
      attempts: sum((t) => t.attempt),
      corrections: sum((t) => t.corrections),
      testRuns: sum((t) => t.testRuns),
      testsPassed: sum((t) => t.tests?.passed ?? 0),
      testsFailed: sum((t) => t.tests?.failed ?? 0),
      inputTokens: sum((t) => t.inputTokens) + this.planningTokens.input,
      cacheReadTokens: sum((t) => t.cacheReadTokens) + this.planningTokens.cacheRead,
      cacheWriteTokens: sum((t) => t.cacheWriteTokens) + this.planningTokens.cacheWrite,
      outputTokens: sum((t) => t.outputTokens) + this.planningTokens.output,
      costUsd: sum((t) => t.costUsd) + this.planningTokens.costUsd,
    };
  }

  #addTask(task: Task): TaskView {
    const existing = this.tasks.get(task.id);
    if (existing) return existing;
    const view: TaskView = {
      id: task.id,
      key: task.key || task.id.slice(0, 8),
      title: task.title,
      kind: kindName(task.kind),
      status: task.status || TaskStatus.PENDING,
      attempt: task.attempt,
      worker: task.worker,
      agentState: AgentState.UNSPECIFIED,
      agentDetail: '',
      tests: task.tests,
      testRuns: 0,
      corrections: 0,
      commits: 0,
      inputTokens: Number(task.usage?.inputTokens ?? 0n),
      cacheReadTokens: Number(task.usage?.cacheReadInputTokens ?? 0n),
      cacheWriteTokens: Number(task.usage?.cacheCreationInputTokens ?? 0n),
      outputTokens: Number(task.usage?.outputTokens ?? 0n),
      costUsd: task.usage?.costUsd ?? 0,
      error: task.error,
    };
    this.tasks.set(task.id, view);
    return view;
  }
}

function kindName(kind: number): string {
  return ['unspecified', 'backend', 'frontend', 'test'][kind] ?? 'unknown';
}
