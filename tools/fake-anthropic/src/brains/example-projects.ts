import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Brain, BrainTurn } from '../brain.js';
import {
  conversationText,
  firstUserText,
  lastToolResults,
  text,
  toolUse,
} from '../brain-helpers.js';
import { isReviewRequest, reviewTurn } from './diff-reviewer.js';

/** The examples directory of the workspace: examples/<name>/{PRD.md,plan.json,project/}. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../../examples/', import.meta.url));

interface ExampleTask {
  key: string;
  title: string;
  kind: string;
  depends_on: string[];
  description: string;
  acceptance_criteria: string[];
  /** Paths under the example's project/ directory that this task writes. */
  files: string[];
  /** Commands run before the files are written, as a model installs a dependency. */
  commands?: string[];
  /** A bug the first attempt makes and the correction after the failing tests removes. */
  mistake?: { file: string; right: string; wrong: string };
  /** A test file of `files` the first attempt forgets; the review asks for it, and the
   * attempt the review sent back writes it. */
  forgets?: string;
}

interface Example {
  name: string;
  title: string;
  tasks: ExampleTask[];
  dir: string;
}

let cache: Example[] | undefined;

/** Every example with a plan.json, read once. */
export function loadExamples(dir = EXAMPLES_DIR): Example[] {
  if (cache && dir === EXAMPLES_DIR) return cache;
  const examples = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'plan.json')))
    .map((entry) => {
      const plan = JSON.parse(readFileSync(join(dir, entry.name, 'plan.json'), 'utf8'));
      return { name: entry.name, title: plan.title, tasks: plan.tasks, dir: join(dir, entry.name) };
    });
  if (dir === EXAMPLES_DIR) cache = examples;
  return examples;
}

function projectFile(example: Example, path: string): string {
  return readFileSync(join(example.dir, 'project', path), 'utf8');
}

/**
 * Builds the projects in examples/ the way a model would, at a pace people can follow:
 * it plans the PRD's tasks with their dependencies; for each task it looks at the
 * repository, writes the task's files, and finishes. A task with a `mistake` first writes
 * a bug; when the worker reports the failing tests, it fixes it, so every run shows a
 * self-correction; a task that `forgets` a test leaves it out until a review asks for it.
 * Review requests get a reviewer that reads the diff (diff-reviewer.ts). Which example is
 * recognised by the PRD's title in the conversation. An example with a seed/ directory
 * starts from an existing repository holding it (the launcher pushes it as the first
 * commit); its project/ holds the files after the change.
 */
export const exampleProjectsBrain: Brain = (request) => {
  if (isReviewRequest(request)) return reviewTurn(request);
  const conversation = conversationText(request);
  const example = loadExamples().find((e) => conversation.includes(`# ${e.title}\n`));
  if (!example) {
    const titles = loadExamples().map((e) => `"${e.title}"`);
    return {
      content: [
        text(
          `This offline stand-in only builds the example PRDs (${titles.join(', ')}); set ANTHROPIC_API_KEY to build your own.`,
        ),
      ],
    };
  }
  if (JSON.stringify(request.tools ?? []).includes('submit_plan')) {
    // Given a map of the repository it starts from, the plan names the files each task
    // changes or adds, as a model planning changes to existing code does.
    const mapped = conversation.includes('\n# Repository map\n');
    return {
      content: [
        text(
          `Planning ${example.title}: ${example.tasks.length} tasks${mapped ? ', on the mapped repository' : ''}.`,
        ),
        toolUse('submit_plan', {
          tasks: example.tasks.map(({ files, mistake: _m, commands: _c, ...task }) =>
            mapped ? { ...task, files } : task,
          ),
        }),
      ],
    };
  }
  const key = /# Task ([\w-]+):/.exec(conversation)?.[1];
  const task = example.tasks.find((t) => t.key === key);
  if (!task) return { content: [text(`There is no task "${key}" in ${example.title}.`)] };
  return taskTurn(example, task, request);
};

function taskTurn(example: Example, task: ExampleTask, request: Parameters<Brain>[0]): BrainTurn {
  const { mistake } = task;
  const failed = lastToolResults(request).some(
    (r) => r.isError && /tests failed|browser check/i.test(r.text),
  );
  if (failed && mistake) {
    return {
      content: [
        text(`The failing test points at ${mistake.file}; fixing it.`),
        toolUse('edit_file', {
          path: mistake.file,
          old_text: mistake.wrong,
          new_text: mistake.right,
        }),
        toolUse('finish', { summary: `${task.title}, with the failing case fixed.` }),
      ],
    };
  }
  const turns = request.messages.filter((m) => m.role === 'assistant').length;
  if (turns === 0) {
    return { content: [text(`Starting on ${task.title}.`), toolUse('list_files', {})] };
  }
  // The task's commands (an `npm install`), one turn, before its files.
  const commands = task.commands ?? [];
  if (commands.length > 0 && turns === 1) {
    return {
      content: [
        text(`Installing what ${task.title} needs: ${commands.join('; ')}.`),
        ...commands.map((command) => toolUse('run_command', { command })),
      ],
    };
  }
  if (turns === (commands.length > 0 ? 2 : 1)) {
    const reviewed = /review of your previous attempt .* asked for changes/.test(
      firstUserText(request),
    );
    const files = task.files.filter((path) => reviewed || path !== task.forgets);
    return {
      content: [
        text(`Writing ${files.join(', ')}${reviewed ? ', as the review asked' : ''}.`),
        ...files.map((path) => {
          const content = projectFile(example, path);
          return toolUse('write_file', {
            path,
            content:
              mistake?.file === path ? content.replace(mistake.right, mistake.wrong) : content,
          });
        }),
      ],
    };
  }
  return { content: [toolUse('finish', { summary: `${task.title}: ${task.files.join(', ')}.` })] };
}
