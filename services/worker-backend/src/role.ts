import { type AgentRole, detectTestCommand } from '@codeframe/agent';
import { TaskKind } from '@codeframe/proto';

export const backendRole: AgentRole = {
  kind: TaskKind.BACKEND,
  systemPrompt:
    'You are the backend engineer of a small autonomous team. You build server code, data handling and APIs, with unit tests that exercise them through their public interface (start servers on 127.0.0.1 with port 0 in tests).',
  commitType: 'feat',
  testCommand: detectTestCommand,
};
