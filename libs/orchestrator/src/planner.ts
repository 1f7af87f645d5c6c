import type { LlmClient, MessageParam, Tool, UsageTotals } from '@codeframe/llm';
import { type DescribeResponse, TaskKind } from '@codeframe/proto';
import { checkPlannedTasks, type PlannedTask, type RepoPaths } from './plan-validation.js';
import { askForToolCall } from './tool-answer.js';

const string = { type: 'string' } as const;
const strings = { type: 'array', items: string } as const;

/** The tool whose input schema is the plan: the model answers by calling it. */
export const SUBMIT_PLAN_TOOL: Tool = {
  name: 'submit_plan',
  description: 'Submit the plan: the tasks that build the product, with their dependencies.',
  input_schema: {
    type: 'object',
    properties: {
      tasks: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            key: { type: 'string', description: 'Stable short id, e.g. "todo-api".' },
            title: string,
            description: string,
            kind: { type: 'string', enum: ['backend', 'frontend', 'test'] },
            depends_on: { ...strings, description: 'Keys of tasks that must be done first.' },
            acceptance_criteria: strings,
            files: {
              ...strings,
              description:
                'Paths of the files the task changes or adds, relative to the repository root: existing files from the repository map, and new ones.',
            },
          },
          required: ['key', 'title', 'description', 'kind', 'depends_on', 'acceptance_criteria'],
        },
      },
    },
    required: ['tasks'],
  },
};

const SYSTEM = `You are the lead engineer of a small autonomous team: backend, frontend and test engineers, each an AI agent working in its own git branch and sandbox.
Plan the work for the product spec you are given as a graph of tasks and submit it with the submit_plan tool.
Each task is one coherent change an engineer can finish and test alone. Use depends_on only where a task needs another's code; independent tasks run at the same time.
Give every task acceptance criteria that its tests can check.`;

const BROWNFIELD = `The product spec asks for work on an existing repository, mapped after it: plan changes to that code rather than a new project. Extend its modules, follow its conventions and keep its existing tests passing; in each task's files, name the existing files it changes (as the map spells them) and the new ones it adds.`;

/** The repository a plan starts from: its map for the prompt, its paths for the check. */
export interface PlanningRepo {
  text: string;
  index: RepoPaths;
}

/** What a worker kind's replicas said of their sandbox in Describe. */
export type WorkerSandbox = Pick<DescribeResponse, 'kind' | 'toolchain' | 'allowedHosts'>;

/**
 * What the engineers can run, as their workers reported it, for the planner's prompt: so
 * the plan asks for what their sandboxes can build and test.
 */
export function planningEnvironment(sandboxes: readonly WorkerSandbox[]): string {
  const lines = sandboxes.map(({ kind, toolchain, allowedHosts }) => {
    const tools = toolchain.map((t) => `${t.name} ${t.version}`).join(', ') || 'not reported yet';
    const network = allowedHosts.includes('*')
      ? 'unrestricted network (no sandbox)'
      : allowedHosts.length > 0
        ? `network only to the package registries (${allowedHosts.join(', ')}), so dependencies can be installed`
        : 'no network';
    return `- ${TaskKind[kind].toLowerCase()}: ${tools}; ${network}`;
  });
  return `The engineers' sandboxes (what their commands can run):\n${lines.join('\n')}\nPlan for what these can build and test. A task may add dependencies from the registries; they go into the project's manifest and lockfile, and later tasks install them from it.`;
}

/** The model's plans were invalid twice; the message says why. */
export class PlanError extends Error {
  override name = 'PlanError';
}

export interface PlanResult {
  tasks: PlannedTask[];
  usage: UsageTotals;
}

export interface PlanOptions {
  /** The engineers' sandboxes, from planningEnvironment. */
  environment?: string;
  /** The repository the project starts from, when there is one: its map follows the spec. */
  repo?: PlanningRepo;
  /** Counts each planning call's usage as it is made, a plan refused in the end or not. */
  count: (usage: UsageTotals) => Promise<void>;
}

/**
 * Asks the model for a plan of the PRD (and of the repository it starts from, when there is
 * one) through submit_plan and validates it; an invalid plan is sent back with the reason
 * once, and a second invalid plan fails with the reason.
 */
export async function planFromPrd(
  llm: LlmClient,
  prd: string,
  { environment = '', repo, count }: PlanOptions,
): Promise<PlanResult> {
  const spec = `# Product spec\n\n${prd}`;
  const content = repo ? `${spec}\n\n# Repository map\n\n${repo.text}` : spec;
  const messages: MessageParam[] = [{ role: 'user', content }];
  const system = [SYSTEM, repo && BROWNFIELD, environment].filter(Boolean).join('\n\n');
  const answer = await askForToolCall(llm, {
    system,
    tool: SUBMIT_PLAN_TOOL,
    messages,
    count,
    read: (input) => {
      const check = checkPlannedTasks(input, repo?.index);
      return check.ok ? { ok: true, value: check.tasks } : check;
    },
    noCall: 'no plan was submitted: call the submit_plan tool',
    feedback: (reason) =>
      `The plan is invalid: ${reason}. Submit a corrected plan with submit_plan.`,
  });
  if (!answer.ok) throw new PlanError(`the model's plan is invalid: ${answer.reason}`);
  return { tasks: answer.value, usage: answer.usage };
}
