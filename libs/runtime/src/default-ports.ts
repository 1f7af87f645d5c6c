/**
 * The ports `npm start` (tools/dev) takes by default, and the launcher variable that moves
 * each: one list, which `codeframe doctor` (tools/cli) checks too. A service's own default,
 * when run alone, is in its main.ts (deploy/ files are checked against those).
 */
export const DEFAULT_PORTS = {
  edge: { port: 7080, variable: 'CODEFRAME_EDGE_PORT' },
  edgeGrpc: { port: 7081, variable: 'CODEFRAME_EDGE_GRPC_PORT' },
  fakeAnthropic: { port: 7090, variable: 'CODEFRAME_FAKE_ANTHROPIC_PORT' },
  lead: { port: 7100, variable: 'CODEFRAME_LEAD_PORT' },
  workerBackend: { port: 7101, variable: 'CODEFRAME_WORKER_BACKEND_PORT' },
  workerFrontend: { port: 7102, variable: 'CODEFRAME_WORKER_FRONTEND_PORT' },
  workerTest: { port: 7103, variable: 'CODEFRAME_WORKER_TEST_PORT' },
} as const;

export type DefaultPort = (typeof DEFAULT_PORTS)[keyof typeof DEFAULT_PORTS];
