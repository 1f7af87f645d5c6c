import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import {
  type AgentState,
  type BrowserCheckSchema,
  type FileChangeKind,
  type TaskEvent,
  TaskEventSchema,
  type TaskResult,
  type TaskStatus,
  type TestSummary,
  type Usage,
} from '@codeframe/proto';

type Payload = MessageInitShape<typeof TaskEventSchema>['payload'];

function event(taskId: string, payload: Payload): TaskEvent {
  return create(TaskEventSchema, { taskId, time: timestampNow(), payload });
}

/** Constructors for the TaskEvents a worker streams, all stamped with the task and time. */
export function taskEvents(taskId: string, agentId: string) {
  return {
    status: (from: TaskStatus, to: TaskStatus, reason = '', attempt = 0) =>
      event(taskId, { case: 'taskStatusChanged', value: { taskId, from, to, reason, attempt } }),
    agent: (state: AgentState, detail = '') =>
      event(taskId, { case: 'agentStatusChanged', value: { taskId, agentId, state, detail } }),
    activity: (message: string, tool = '', isError = false) =>
      event(taskId, { case: 'activityUpdate', value: { taskId, message, tool, isError } }),
    output: (command: string, stream: string, chunk: string, truncated = false) =>
      event(taskId, {
        case: 'commandOutput',
        value: { taskId, command, stream, chunk, truncated },
      }),
    fileChanged: (path: string, change: FileChangeKind) =>
      event(taskId, { case: 'fileChanged', value: { taskId, path, change } }),
    testResult: (summary: TestSummary, attempt: number) =>
      event(taskId, { case: 'testResult', value: { taskId, summary, attempt } }),
    correction: (attempt: number, maxAttempts: number, failure: string) =>
      event(taskId, {
        case: 'correctionAttempt',
        value: { taskId, attempt, maxAttempts, failure },
      }),
    commit: (sha: string, branch: string, message: string, filesChanged: string[]) =>
      event(taskId, {
        case: 'commitCreated',
        value: { taskId, sha, branch, message, filesChanged },
      }),
    tokens: (model: string, call: Usage, total: Usage) =>
      event(taskId, { case: 'tokenUsage', value: { taskId, model, call, total } }),
    compacted: (tokensBefore: number, tokensAfter: number, reason: string) =>
      event(taskId, {
        case: 'contextCompacted',
        value: {
          taskId,
          tokensBefore: BigInt(tokensBefore),
          tokensAfter: BigInt(tokensAfter),
          reason,
        },
      }),
    gate: (gate: {
      name: string;
      command: string;
      passed: boolean;
      summary: string;
      attempt: number;
    }) =>
      event(taskId, {
        case: 'qualityGate',
        value: {
          taskId,
          name: gate.name,
          command: gate.command,
          passed: gate.passed,
          summary: gate.summary,
          attempt: gate.attempt,
        },
      }),
    browserCheck: (
      check: Omit<MessageInitShape<typeof BrowserCheckSchema>, 'taskId' | '$typeName'>,
    ) => event(taskId, { case: 'browserCheck', value: { ...check, taskId } }),
    result: (result: TaskResult) => event(taskId, { case: 'result', value: result }),
  };
}

export type TaskEventFactory = ReturnType<typeof taskEvents>;
