import type { ExecuteTaskRequest } from '@codeframe/proto';
import { previousAttemptSection } from './attempt-prompt.js';

/** The first user message of a task: what to build, for which project, the part of the
 * repository's map it needs, earlier answers, and how its previous attempt ended. */
export function taskPrompt(request: ExecuteTaskRequest): string {
  const task = request.task!;
  const parts = [`# Task ${task.key || task.id}: ${task.title}`, task.description];
  if (task.acceptanceCriteria.length > 0) {
    parts.push(
      `## Acceptance criteria\n${task.acceptanceCriteria.map((c) => `- ${c}`).join('\n')}`,
    );
  }
  if (request.context) parts.push(`## Project context\n${request.context}`);
  if (request.repositoryMap) parts.push(`## Repository map\n${request.repositoryMap}`);
  if (request.answers.length > 0) {
    const answers = request.answers.map((a) => `Q: ${a.question}\nA: ${a.answer}`).join('\n\n');
    parts.push(`## Answers to your earlier questions\n${answers}`);
  }
  parts.push(previousAttemptSection(request) ?? '');
  return parts.filter(Boolean).join('\n\n');
}
