// codeframe doctor: can this machine run CodeFRAME? The system checks npm start and npm test
// run first (one definition each, in @codeframe/doctor), the default ports, and the lead.
import net from 'node:net';
import { runSystemChecks } from '@codeframe/doctor';
import { Health, HealthCheckResponse_ServingStatus as Status } from '@codeframe/proto';
import { createLeadClient, createRpcClient } from '@codeframe/rpc';
import { DEFAULT_PORTS, tlsConfigured } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';
import type { CliContext } from '../cli-context.js';
import { Exit } from '../cli-error.js';
import type { DefineCommand } from '../command-table.js';
import { jsonLine, printable } from '../format.js';

type Level = 'ok' | 'warn' | 'fail';

interface Row {
  id: string;
  title: string;
  status: Level;
  detail: string;
  fix?: string;
}

/** The ports npm start takes by default (one list, in @codeframe/runtime), and who answers there. */
const PORTS = [
  { service: 'edge', ...DEFAULT_PORTS.edge, speaks: 'edge-http' },
  { service: 'edge (gRPC health)', ...DEFAULT_PORTS.edgeGrpc, speaks: 'grpc' },
  { service: 'fake-anthropic', ...DEFAULT_PORTS.fakeAnthropic, speaks: 'fake-http' },
  { service: 'lead', ...DEFAULT_PORTS.lead, speaks: 'grpc' },
  { service: 'worker-backend', ...DEFAULT_PORTS.workerBackend, speaks: 'grpc' },
  { service: 'worker-frontend', ...DEFAULT_PORTS.workerFrontend, speaks: 'grpc' },
  { service: 'worker-test', ...DEFAULT_PORTS.workerTest, speaks: 'grpc' },
] as const;

const PROBE_MS = 3_000;

export interface DoctorOptions {
  env: NodeJS.ProcessEnv;
  /** The lead was named (--lead or CODEFRAME_LEAD_URL): not reaching it fails. */
  leadNamed: boolean;
}

export async function doctorCommand(ctx: CliContext, options: DoctorOptions): Promise<number> {
  const rows: Row[] = runSystemChecks({ env: options.env }).map(({ check, result }) => {
    const forStart = check.neededBy.includes('start');
    if (result.ok) return { id: check.id, title: check.title, status: 'ok', detail: result.detail };
    return {
      id: check.id,
      title: check.title,
      // npm start cannot run without a required check; npm test needs the rest.
      status: forStart ? 'fail' : 'warn',
      detail: `${result.detail} (${forStart ? 'npm start and npm test need' : 'npm test needs'} it for ${check.why})`,
      fix: result.fix,
    };
  });
  const host = options.env.HOST?.trim() || '127.0.0.1';
  rows.push(...(await Promise.all(PORTS.map((p) => portRow(host, p, options.env)))));
  rows.push(await leadRow(ctx, options.leadNamed));

  const ok = rows.every((r) => r.status !== 'fail');
  if (ctx.json) {
    ctx.out(jsonLine({ ok, checks: rows }));
    return ok ? Exit.Ok : Exit.WorkFailed;
  }
  const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
  const width = Math.max(...rows.map((r) => r.title.length));
  for (const row of rows) {
    ctx.out(`${mark[row.status]} ${row.title.padEnd(width)}  ${printable(row.detail)}\n`);
    if (row.fix) ctx.out(`  ${' '.repeat(width)}  fix: ${printable(row.fix)}\n`);
  }
  const count = (level: Level) => rows.filter((r) => r.status === level).length;
  ctx.out(
    ok
      ? `\nready: every required check passes${count('warn') ? ` (${count('warn')} warning${count('warn') === 1 ? '' : 's'})` : ''}\n`
      : `\nnot ready: ${count('fail')} required check${count('fail') === 1 ? '' : 's'} failed\n`,
  );
  return ok ? Exit.Ok : Exit.WorkFailed;
}

async function portRow(
  host: string,
  spec: (typeof PORTS)[number],
  env: NodeJS.ProcessEnv,
): Promise<Row> {
  const raw = env[spec.variable]?.trim();
  const port = raw && /^\d+$/.test(raw) ? Number(raw) : spec.port;
  const base = {
    id: `port-${spec.service.split(' ')[0]}${spec.variable.includes('GRPC') ? '-grpc' : ''}`,
    title: `port ${port}`,
  };
  if (raw && !/^\d+$/.test(raw)) {
    return {
      ...base,
      status: 'fail',
      detail: `${spec.variable}=${JSON.stringify(raw)} is not a port number`,
      fix: `set ${spec.variable} to 0..65535`,
    };
  }
  if (port === 0)
    return {
      ...base,
      title: 'port 0',
      status: 'ok',
      detail: `${spec.service}: any free port (${spec.variable}=0)`,
    };
  if (await portIsFree(host, port)) {
    return { ...base, status: 'ok', detail: `free on ${host} for the ${spec.service}` };
  }
  const ours = await answersAsOurs(host, port, spec.speaks);
  if (ours) {
    return {
      ...base,
      status: 'ok',
      detail: `in use on ${host} by a running CodeFRAME service (${ours})`,
    };
  }
  return {
    ...base,
    status: 'warn',
    detail: `in use on ${host} by another program, so npm start would stop at the ${spec.service}`,
    fix: `stop that program, or set ${spec.variable} to another port (0: any free one)`,
  };
}

/** Resolves true when `port` on `host` can be listened on now. */
function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** What a CodeFRAME service on the port says it is, or undefined for anything else. */
async function answersAsOurs(
  host: string,
  port: number,
  speaks: string,
): Promise<string | undefined> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    if (speaks === 'grpc') {
      // With TLS configured every gRPC port serves TLS (and the CA verifies it).
      const health = createRpcClient(Health, {
        baseUrl: tlsConfigured() ? url.replace(/^http:/, 'https:') : url,
        unaryTimeoutMs: PROBE_MS,
        maxRetries: 0,
      });
      const res = await health.check({});
      return `grpc.health.v1: ${Status[res.status]}`;
    }
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(PROBE_MS) });
    const body = await res.text();
    if (speaks === 'edge-http' && res.ok && /"status":"ok"/.test(body))
      return 'the edge: /healthz ok';
    if (speaks === 'fake-http' && res.headers.get('request-id') === 'req_fake_not_found') {
      return 'fake-anthropic';
    }
  } catch {}
  return undefined;
}

async function leadRow(ctx: CliContext, named: boolean): Promise<Row> {
  const { url, token } = ctx.target;
  const base = { id: 'lead', title: 'lead' };
  const health = createRpcClient(Health, { baseUrl: url, unaryTimeoutMs: PROBE_MS, maxRetries: 0 });
  try {
    const res = await health.check({});
    if (res.status !== Status.SERVING) {
      return {
        ...base,
        status: 'fail',
        detail: `the lead at ${url} reports ${Status[res.status]}`,
        fix: 'see its log',
      };
    }
  } catch (error) {
    const e = ConnectError.from(error);
    return {
      ...base,
      status: named ? 'fail' : 'warn',
      detail: `no lead answers at ${url} (${e.rawMessage})`,
      fix: named
        ? 'start it, or point --lead/CODEFRAME_LEAD_URL at the one that runs'
        : '`npm start` starts one here; --lead or CODEFRAME_LEAD_URL names another',
    };
  }
  const lead = createLeadClient({ baseUrl: url, token, unaryTimeoutMs: PROBE_MS, maxRetries: 0 });
  try {
    const { projects } = await lead.listProjects({});
    return {
      ...base,
      status: 'ok',
      detail: `${url} is SERVING and answers (${projects.length} projects)`,
    };
  } catch (error) {
    const e = ConnectError.from(error);
    return e.code === Code.Unauthenticated
      ? {
          ...base,
          status: 'fail',
          detail: `the lead at ${url} refused the token (${e.rawMessage})`,
          fix: 'set CODEFRAME_AUTH_TOKEN (or --token) to the token the lead was started with',
        }
      : {
          ...base,
          status: 'fail',
          detail: `the lead at ${url} failed: ${Code[e.code]}: ${e.rawMessage}`,
          fix: 'see its log',
        };
  }
}

export function doctorCommands(define: DefineCommand): void {
  define(
    'doctor',
    'can this machine run CodeFRAME? Node and uWebSockets.js, bwrap, git, Chromium, Python gRPC, the default ports, the lead (1: a required check failed)',
    (ctx, _args, options) =>
      doctorCommand(ctx, {
        env: ctx.env,
        leadNamed: options.lead !== undefined || Boolean(ctx.env.CODEFRAME_LEAD_URL),
      }),
  );
}
