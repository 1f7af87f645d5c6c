import type { LeadClient } from '@codeframe/rpc';

/** The lead the command talks to, as --lead and --token (or the environment) name it. */
export interface LeadTarget {
  url: string;
  token: string | undefined;
}

/** What every command gets: the lead, where output goes, and how to show it. */
export interface CliContext {
  lead: LeadClient;
  target: LeadTarget;
  out: (text: string) => void;
  /** The environment the command runs in (the process's, or a test's). */
  env: NodeJS.ProcessEnv;
  json: boolean;
  /** Standard output is a terminal: live views and colours. */
  tty: boolean;
  columns: () => number;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** The dashboard's address, when one is known (`--dashboard` or CODEFRAME_DASHBOARD_URL). */
  dashboardUrl: string | undefined;
}
