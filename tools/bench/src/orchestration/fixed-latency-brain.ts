import { type Brain, passingTest, toolUse } from '@codeframe/fake-anthropic';
import { sleep } from '@codeframe/runtime';
import { layeredPlan } from './layered-plan.js';

// The model of the orchestration and worker benchmarks: every call takes `latencyMs`, as a
// real model's would, then answers from the script. The plan is a layered graph whose size
// the PRD gives; each task makes `toolCalls` tool calls (searches, each a different one;
// the last writes its file and a passing test) and then calls finish, so a task costs
// toolCalls + 1 model calls.

export function layeredPrd(tasks: number, layers: number): string {
  return `# Orchestration benchmark\ntasks: ${tasks}\nlayers: ${layers}\n`;
}

export interface BrainCall {
  key: string;
  startMs: number;
  endMs: number;
}

export function fixedLatencyBrain(
  latencyMs: number,
  toolCalls: number,
  calls: BrainCall[] = [],
): Brain {
  return async (request, { signal }) => {
    const first = JSON.stringify(request.messages[0]?.content ?? '');
    if (JSON.stringify(request.tools ?? []).includes('submit_plan')) {
      const tasks = Number(/tasks: (\d+)/.exec(first)?.[1] ?? 10);
      const layers = Number(/layers: (\d+)/.exec(first)?.[1] ?? 2);
      return { content: [toolUse('submit_plan', { tasks: layeredPlan(tasks, layers) })] };
    }
    const startMs = Date.now();
    await sleep(latencyMs, signal);
    const key = /# Task ([\w-]+):/.exec(first)?.[1] ?? 'task';
    calls.push({ key, startMs, endMs: Date.now() });
    const made = (request.messages.length - 1) / 2;
    if (made < toolCalls - 1) return { content: [toolUse('search', { pattern: `step ${made}` })] };
    if (made === toolCalls - 1) {
      return {
        content: [
          toolUse('write_file', { path: `${key}.txt`, content: `${key}\n` }),
          passingTest(key),
        ],
      };
    }
    return { content: [toolUse('finish', { summary: `${key} written` })] };
  };
}
