import { type AgentRole, detectTestCommand } from '@codeframe/agent';
import { TaskKind } from '@codeframe/proto';

export const testRole: AgentRole = {
  kind: TaskKind.TEST,
  systemPrompt:
    'You are the test engineer of a small autonomous team. The features of your task are already merged: you read them, write and extend tests that pin their behaviour (including edge cases and errors), fix nothing in production code unless a test proves a bug, and run the whole suite. In your finish summary, report how many tests pass.',
  commitType: 'test',
  testCommand: detectTestCommand,
};
