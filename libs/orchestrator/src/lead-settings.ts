import { DEFAULT_REPO_MAP_TOKENS } from '@codeframe/repos';
import { env, gitSettings, launcherSettings } from '@codeframe/runtime';
import { databaseUrlSetting } from '@codeframe/store';
import { DEFAULT_MERGE_BATCH } from './main-verification.js';
import { workerTargets } from './worker-targets.js';

/** The lead's settings besides its server's and the model's: each a CODEFRAME_* variable,
 * read with loadConfig (the README's configuration table lists them). */
export const leadSettings = {
  dataDir: env.string('CODEFRAME_DATA_DIR', '.codeframe'),
  databaseUrl: databaseUrlSetting,
  backend: workerTargets('CODEFRAME_WORKERS_BACKEND', ['127.0.0.1:7101']),
  frontend: workerTargets('CODEFRAME_WORKERS_FRONTEND', ['127.0.0.1:7102']),
  test: workerTargets('CODEFRAME_WORKERS_TEST', ['127.0.0.1:7103']),
  maxConcurrency: env.int('CODEFRAME_MAX_CONCURRENCY', 4, 1, 1000),
  maxDispatchAttempts: env.int('CODEFRAME_MAX_DISPATCH_ATTEMPTS', 3, 1, 20),
  // Sent with every task; 0 leaves the limit to the worker's own default.
  taskBudgetUsd: env.number('CODEFRAME_TASK_BUDGET_USD', 0, 0),
  taskMaxTurns: env.int('CODEFRAME_TASK_MAX_TURNS', 0, 0, 1000),
  taskDeadlineMs: env.int('CODEFRAME_TASK_DEADLINE_MS', 0, 0),
  probeIntervalMs: env.int('CODEFRAME_WORKER_PROBE_MS', 2_000, 100),
  repoMapTokens: env.int('CODEFRAME_REPO_MAP_TOKENS', DEFAULT_REPO_MAP_TOKENS, 0, 200_000),
  // A project that does not say is reviewed before each merge unless this is off.
  review: env.boolean('CODEFRAME_REVIEW', true),
  reviewMaxRounds: env.int('CODEFRAME_REVIEW_MAX_ROUNDS', 2, 0, 20),
  ...gitSettings,
  ...launcherSettings,
  repoRoot: env.optional('CODEFRAME_REPO_ROOT'),
  allowPrivateHosts: env.boolean('CODEFRAME_REPO_ALLOW_PRIVATE_HOSTS', false),
  verifyMain: env.boolean('CODEFRAME_VERIFY_MAIN', true),
  mergeBatch: env.int('CODEFRAME_MERGE_BATCH', DEFAULT_MERGE_BATCH, 1, 256),
  // Workers fetch and push the repositories the lead created over its own port.
  gitHttp: env.oneOf('CODEFRAME_GIT_HTTP', ['remote', 'always', 'off'], 'remote'),
  advertisedUrl: env.optional('CODEFRAME_ADVERTISED_URL'),
  // Leads sharing a PostgreSQL database: this one's id (the same after a restart takes its
  // projects back at once), and how long a lead that stops answering keeps its projects.
  leadId: env.optional('CODEFRAME_LEAD_ID'),
  leaseMs: env.int('CODEFRAME_LEASE_MS', 10_000, 500, 300_000),
};
