// Which layer may depend on which: services on libs (never on each other), libs on libs,
// tools on anything. Tools are harnesses, stand-ins and commands, so only tests of libs and
// services may use them.
import type { Project } from './workspace-projects.js';

/** Why `from` may not depend on `to` (in tests only, when `test`), or undefined when it may. */
export function layerProblem(from: Project, to: Project, test: boolean): string | undefined {
  if (from.name === to.name || from.layer === 'tool') return undefined;
  if (to.layer === 'service') {
    return from.layer === 'service'
      ? 'a service never depends on another service: move the shared code into a lib, or start the other service as a process in a test'
      : 'a lib never depends on a service: move the code it needs into a lib';
  }
  if (to.layer === 'tool' && !test) {
    return `only tests may use a tool, and this is built code of a ${from.layer}: move the code it needs into a lib`;
  }
  return undefined;
}
