// The rules of boundary-rules.ts over this workspace as it stands.
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { findViolations, formatViolation } from './boundary-rules.js';
import { readWorkspace } from './workspace-projects.js';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

it('every package keeps to its layer, declares what it imports and the entries it starts', () => {
  const projects = readWorkspace(WORKSPACE_ROOT);
  expect(projects.map((p) => p.name)).toContain('@codeframe/lead');
  expect(findViolations(projects).map(formatViolation)).toEqual([]);
});
