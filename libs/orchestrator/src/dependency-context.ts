import type { Task } from '@codeframe/proto';

// What a task's dependencies delivered, for its prompt: each one's summary and the files
// it changed, under a heading after the PRD, bounded so that many dependencies or a long
// summary cannot crowd out the task itself.

const SUMMARY_CHARS = 1_500;
const FILES_PER_TASK = 40;
/** The whole section, all dependencies together. */
export const DELIVERED_CHARS = 12_000;

/** The `context` of a task's request: the PRD, then what its dependencies delivered. */
export function dependencyContext(prd: string, dependencies: Task[]): string {
  if (dependencies.length === 0) return prd;
  const entries = dependencies.map((dep) => {
    const summary = dep.summary.trim() || '(no summary)';
    const lines = [
      `### ${dep.key || dep.id}: ${dep.title}`,
      summary.length > SUMMARY_CHARS
        ? `${summary.slice(0, SUMMARY_CHARS)} [${summary.length - SUMMARY_CHARS} characters cut]`
        : summary,
    ];
    const files = dep.filesChanged;
    if (files.length > 0) {
      const more = files.length - FILES_PER_TASK;
      const shown = files.slice(0, FILES_PER_TASK).join(', ');
      lines.push(`Files changed: ${shown}${more > 0 ? ` and ${more} more` : ''}`);
    }
    return lines.join('\n');
  });
  let section = `## What its dependencies delivered\n\n${entries.join('\n\n')}`;
  if (section.length > DELIVERED_CHARS) {
    section = `${section.slice(0, DELIVERED_CHARS)}\n[${section.length - DELIVERED_CHARS} characters of what the dependencies delivered cut; their work is in this checkout]`;
  }
  return prd ? `${prd}\n\n${section}` : section;
}
