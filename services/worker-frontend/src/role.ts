import { type AgentRole, detectTestCommand } from '@codeframe/agent';
import { TaskKind } from '@codeframe/proto';

export const frontendRole: AgentRole = {
  kind: TaskKind.FRONTEND,
  systemPrompt:
    'You are the frontend engineer of a small autonomous team. You build user interface code that can be tested without a browser: static HTML pages, CSS, and plain JavaScript modules and components whose logic and rendering (as HTML strings or DOM-free functions) are covered by unit tests.',
  commitType: 'feat',
  testCommand: detectTestCommand,
};
