import { firstControlCharacter } from '@codeframe/runtime';
import { BadRequest } from './bad-request.js';

/** Longer than any id the lead makes (UUIDs), short enough to keep topics and logs small. */
const MAX_PROJECT_ID_LENGTH = 200;

/** What is wrong with a project id a client sent, or undefined when it may be looked up. */
export function projectIdProblem(id: string): string | undefined {
  if (id.trim() === '') return 'project id is empty';
  if (id.length > MAX_PROJECT_ID_LENGTH) {
    return `project id is ${id.length} characters long, more than the ${MAX_PROJECT_ID_LENGTH} allowed`;
  }
  if (firstControlCharacter(id)) return 'project id contains control characters';
  return undefined;
}

/** The project id of a URL path segment; a BadRequest when it is not one. */
export function projectIdFromPath(segment: string): string {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    throw new BadRequest(
      `project id is not valid percent-encoding: ${JSON.stringify(segment.slice(0, 80))} (escape each byte as %XX of UTF-8)`,
    );
  }
  const problem = projectIdProblem(id);
  if (problem) throw new BadRequest(problem);
  return id;
}
