import { resolve } from 'node:path';
import { DEFAULT_PORTS, type DefaultPort, env } from '@codeframe/runtime';
import { exampleRepoRoot } from './example-repo.js';

/** A service the launcher runs. */
export interface ServiceSpec {
  name: string;
  /** Built entry point, relative to the workspace root. */
  entry: string;
  /** Listeners it logs; "rpc" is the one answering grpc.health.v1. */
  listeners: string[];
  /** Ports it is asked to take, with the launcher variable that sets each (0 = any). */
  ports: { port: number; setting: string }[];
  /** Its environment, which may name services started before it (by their ports). */
  env: (started: ReadonlyMap<string, Readonly<Record<string, number>>>) => Record<string, string>;
}

function launcherPort({ variable, port }: DefaultPort) {
  return env.port(variable, port);
}

export const launcherSettings = {
  host: env.string('HOST', '127.0.0.1'),
  leadPort: launcherPort(DEFAULT_PORTS.lead),
  backendPort: launcherPort(DEFAULT_PORTS.workerBackend),
  frontendPort: launcherPort(DEFAULT_PORTS.workerFrontend),
  testPort: launcherPort(DEFAULT_PORTS.workerTest),
  edgePort: launcherPort(DEFAULT_PORTS.edge),
  edgeGrpcPort: launcherPort(DEFAULT_PORTS.edgeGrpc),
  fakeAnthropicPort: launcherPort(DEFAULT_PORTS.fakeAnthropic),
  /** With a key the workers call Claude; without one, fake-anthropic stands in. */
  apiKey: env.optional('ANTHROPIC_API_KEY'),
  /** The lead's state, the project repositories, and the checkouts of what was built. */
  dataDir: env.string('CODEFRAME_DATA_DIR', '.codeframe'),
  /** The brain fake-anthropic plays; `examples` builds the PRDs in examples/. */
  fakeBrain: env.string('CODEFRAME_FAKE_BRAIN', 'examples'),
};

export interface LauncherConfig {
  host: string;
  leadPort: number;
  backendPort: number;
  frontendPort: number;
  testPort: number;
  edgePort: number;
  edgeGrpcPort: number;
  fakeAnthropicPort: number;
  apiKey: string | undefined;
  dataDir: string;
  fakeBrain: string;
  /** "https" when TLS is configured (CODEFRAME_TLS_*, which every service inherits), so the
   * lead, the edge and the launcher reach the workers and the lead over TLS. */
  scheme: 'http' | 'https';
}

/** The package cache the launcher's workers share (CODEFRAME_SANDBOX_CACHE_DIR). */
export function sandboxCacheDir(dataDir: string): string {
  return resolve(dataDir, 'cache');
}

/** The services, in start order: fake-anthropic first when there is no API key, then the
 * workers, the lead, the edge. */
export function serviceSpecs(config: LauncherConfig): ServiceSpec[] {
  const rpc = (name: string, setting: string, port: number, extra = modelEnv): ServiceSpec => ({
    name,
    entry: `services/${name}/dist/main.js`,
    listeners: ['rpc'],
    ports: [{ port, setting }],
    env: (started) => ({ HOST: config.host, PORT: String(port), ...extra(started) }),
  });
  const rpcUrl = (name: string, started: ReadonlyMap<string, Readonly<Record<string, number>>>) =>
    `${config.scheme}://${config.host}:${started.get(name)?.rpc}`;
  const fake = config.apiKey === undefined;
  function modelEnv(
    started: ReadonlyMap<string, Readonly<Record<string, number>>>,
  ): Record<string, string> {
    const port = started.get('fake-anthropic')?.http;
    return fake && port ? { ANTHROPIC_BASE_URL: `http://${config.host}:${port}` } : {};
  }
  const fakeSpec: ServiceSpec = {
    name: 'fake-anthropic',
    entry: 'tools/fake-anthropic/dist/main.js',
    listeners: ['http'],
    ports: [{ port: config.fakeAnthropicPort, setting: DEFAULT_PORTS.fakeAnthropic.variable }],
    env: () => ({
      HOST: config.host,
      PORT: String(config.fakeAnthropicPort),
      CODEFRAME_FAKE_BRAIN: config.fakeBrain,
    }),
  };
  // The workers share one package cache, which the launcher can seed for an example.
  const workerEnv = (started: ReadonlyMap<string, Readonly<Record<string, number>>>) => ({
    ...modelEnv(started),
    CODEFRAME_SANDBOX_CACHE_DIR: sandboxCacheDir(config.dataDir),
  });
  return [
    ...(fake ? [fakeSpec] : []),
    rpc('worker-backend', DEFAULT_PORTS.workerBackend.variable, config.backendPort, workerEnv),
    rpc('worker-frontend', DEFAULT_PORTS.workerFrontend.variable, config.frontendPort, workerEnv),
    rpc('worker-test', DEFAULT_PORTS.workerTest.variable, config.testPort, workerEnv),
    // The lead starts after the workers, so it is told where they are.
    rpc('lead', DEFAULT_PORTS.lead.variable, config.leadPort, (started) => ({
      ...modelEnv(started),
      CODEFRAME_DATA_DIR: resolve(config.dataDir),
      // The examples that change an existing project start from a repository made here.
      CODEFRAME_REPO_ROOT: exampleRepoRoot(config.dataDir),
      CODEFRAME_WORKERS_BACKEND: `${rpcUrl('worker-backend', started)}`,
      CODEFRAME_WORKERS_FRONTEND: `${rpcUrl('worker-frontend', started)}`,
      CODEFRAME_WORKERS_TEST: `${rpcUrl('worker-test', started)}`,
    })),
    {
      name: 'edge',
      entry: 'services/edge/dist/main.js',
      listeners: ['http', 'rpc'],
      ports: [
        { port: config.edgePort, setting: DEFAULT_PORTS.edge.variable },
        { port: config.edgeGrpcPort, setting: DEFAULT_PORTS.edgeGrpc.variable },
      ],
      env: (started) => ({
        HOST: config.host,
        PORT: String(config.edgePort),
        GRPC_PORT: String(config.edgeGrpcPort),
        CODEFRAME_LEAD_URL: rpcUrl('lead', started),
      }),
    },
  ];
}
