// The deployment files (deploy/) checked against the services' real configuration: ports,
// probes, variables, entries. Images cannot be built and kubectl is absent on the machines
// that run this, so the Dockerfiles are parsed here and the kustomization rendered by this
// spec's own resolution of resources, namespace, labels, images and replicas (by kubectl
// kustomize when it is installed).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../../..');
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML
type Doc = any;

interface ServiceFacts {
  name: string;
  /** PORT's default: gRPC (the edge: HTTP and WebSocket). */
  port: number;
  /** The port serving grpc.health.v1. */
  grpcPort: number;
  ports: number[];
}

/** Each service's ports as its main.ts declares them. */
function serviceFacts(): ServiceFacts[] {
  return readdirSync(join(ROOT, 'services')).map((name) => {
    const main = read(`services/${name}/src/main.ts`);
    const port = Number(
      /serverSettings\((\d+)\)|defaultPort:\s*(\d+)/.exec(main)?.slice(1).find(Boolean),
    );
    const grpc = /env\.port\('GRPC_PORT',\s*(\d+)\)/.exec(main);
    const grpcPort = grpc ? Number(grpc[1]) : port;
    expect(port, `services/${name}/src/main.ts: no default port found`).toBeGreaterThan(0);
    return { name, port, grpcPort, ports: [...new Set([port, grpcPort])].sort() };
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory())
      return entry === 'node_modules' || entry === 'dist' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !/\.(spec|fixture|test-support)\.ts$/.test(path) ? [path] : [];
  });
}

/**
 * Every variable the services read: the names env.* is called with in libs and services, and
 * the names their code holds as constants (AUTH_TOKEN_VARIABLE, workerTargets('…')).
 */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const top of ['libs', 'services'])
    for (const project of readdirSync(join(ROOT, top))) {
      const src = join(ROOT, top, project, 'src');
      if (!existsSync(src)) continue;
      for (const file of sourceFiles(src))
        for (const m of readFileSync(file, 'utf8').matchAll(
          /env\.\w+\(\s*'([A-Z][A-Z0-9_]*)'|'((?:CODEFRAME|ANTHROPIC)_[A-Z0-9_]+)'/g,
        ))
          names.add(m[1] ?? m[2]);
    }
  return names;
}

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** A Dockerfile as its stages: continuation lines joined, comments and directives dropped. */
export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const stages: Stage[] = [];
  for (const line of lines.map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) throw new Error(`not an instruction: ${line}`);
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      if (!image) throw new Error(`bad FROM: ${line}`);
      stages.push({ image, name, instructions: [] });
    } else {
      if (!stages.length) throw new Error(`${upper} before FROM`);
      stages.at(-1)?.instructions.push({ op: upper, args });
    }
  }
  return stages;
}

function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { op, args } of stage.instructions)
    if (op === 'ENV')
      for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  return env;
}

/** `kubectl kustomize <dir>` where installed, else this resolution of the same fields. */
function renderKustomization(dir: string): Doc[] {
  try {
    const out = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return parseAllDocuments(out).map((d) => d.toJS());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return resolveKustomization(dir);
}

const KNOWN_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'images',
  'replicas',
]);

function resolveKustomization(dir: string): Doc[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
  for (const field of Object.keys(k))
    if (!KNOWN_FIELDS.has(field))
      throw new Error(`${relative(ROOT, dir)}: this spec cannot render "${field}"`);
  const docs: Doc[] = (k.resources ?? []).flatMap((r: string) => {
    const path = join(dir, r);
    if (statSync(path).isDirectory()) return resolveKustomization(path);
    return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS());
  });
  for (const doc of docs) {
    if (k.namespace && doc.kind !== 'Namespace') doc.metadata.namespace = k.namespace;
    for (const { pairs } of k.labels ?? [])
      doc.metadata.labels = { ...doc.metadata.labels, ...pairs };
    for (const { name, count } of k.replicas ?? [])
      if (doc.metadata.name === name && doc.spec) doc.spec.replicas = count;
    for (const c of podSpec(doc)?.containers ?? [])
      for (const img of k.images ?? [])
        if (c.image.replace(/[:@].*$/, '') === img.name)
          c.image = `${img.newName ?? img.name}:${img.newTag ?? c.image.split(':')[1] ?? 'latest'}`;
  }
  return docs;
}

const podSpec = (doc: Doc) => doc?.spec?.template?.spec;
const subset = (small: Record<string, string>, big: Record<string, string> = {}) =>
  Object.entries(small).every(([k, v]) => big[k] === v);

const SERVICES = serviceFacts();
const READ = variablesRead();
const facts = (name: string) => SERVICES.find((s) => s.name === name) as ServiceFacts;
const workers = SERVICES.filter((s) => s.name.startsWith('worker-'));
const hostPort = (url: string) =>
  /^(?:dns:\/\/\/|https?:\/\/)([^:/]+):(\d+)/.exec(url)?.slice(1) ?? [];

/** A variable set for a service is one a service reads, or one another value expands: $(POD_IP). */
function unknownVariables(env: { name: string; value?: string }[]): string[] {
  const expanded = env.flatMap((e) =>
    [...(e.value ?? '').matchAll(/\$\((\w+)\)/g)].map((m) => m[1]),
  );
  return env.map((e) => e.name).filter((n) => !READ.has(n) && !expanded.includes(n));
}

describe('Dockerfiles', () => {
  it.each(SERVICES.map((s) => [s.name, s]))(
    '%s: stages, user, ports and entry match the service',
    (name, svc) => {
      const path = `deploy/docker/${name}.Dockerfile`;
      const stages = parseDockerfile(read(path));
      const final = stages.at(-1) as Stage;
      const earlier = stages.slice(0, -1).map((s) => s.name);
      expect(stages.length, `${path}: multi-stage`).toBeGreaterThan(1);
      const build = stages[0].instructions.map((i) => i.args).join('\n');
      expect(build).toContain('npm ci');
      expect(build).toContain(
        `nx run ${JSON.parse(read(`services/${name}/package.json`)).name}:build`,
      );
      for (const { args } of final.instructions.filter((i) => i.op === 'COPY')) {
        const from = /--from=(\S+)/.exec(args)?.[1];
        expect(earlier, `${path}: COPY ${args}`).toContain(from);
      }
      expect(
        final.instructions.some(
          (i) => i.op === 'COPY' && i.args.includes(`/app/services/${name} `),
        ),
      ).toBe(true);
      const user = final.instructions
        .filter((i) => i.op === 'USER')
        .at(-1)
        ?.args.trim();
      expect(user, `${path}: the final stage sets USER`).toBeDefined();
      expect(['root', '0', '0:0']).not.toContain(user);
      const exposed = final.instructions
        .filter((i) => i.op === 'EXPOSE')
        .flatMap((i) => i.args.split(/\s+/).map(Number));
      expect(exposed.sort(), `${path}: EXPOSE`).toEqual(svc.ports);
      const env = envOf(final);
      expect(Number(env.PORT), `${path}: ENV PORT`).toBe(svc.port);
      if (svc.grpcPort !== svc.port)
        expect(Number(env.GRPC_PORT), `${path}: ENV GRPC_PORT`).toBe(svc.grpcPort);
      for (const variable of Object.keys(env).filter((v) => v !== 'NODE_ENV'))
        expect(READ).toContain(variable);
      // The entry the build makes: src/main.ts compiled into the project's outDir.
      const lib = JSON.parse(read(`services/${name}/tsconfig.lib.json`)).compilerOptions;
      expect([lib.rootDir, existsSync(join(ROOT, `services/${name}/src/main.ts`))]).toEqual([
        'src',
        true,
      ]);
      const cmd = JSON.parse(
        final.instructions.filter((i) => i.op === 'CMD').at(-1)?.args ?? 'null',
      );
      expect(cmd).toEqual(['node', `services/${name}/${lib.outDir}/main.js`]);
      const apt = final.instructions
        .filter((i) => i.op === 'RUN')
        .map((i) => i.args)
        .join(' ');
      if (name.startsWith('worker-'))
        for (const pkg of ['bubblewrap', 'git', 'util-linux']) expect(apt).toContain(pkg);
      if (name === 'worker-test' || name === 'worker-frontend') expect(apt).toContain('chromium');
    },
  );

  it('the parser refuses what it cannot read', () => {
    expect(() => parseDockerfile('RUN true')).toThrow('RUN before FROM');
    expect(() => parseDockerfile('FROM a AS')).toThrow('bad FROM');
    expect(parseDockerfile('FROM a AS b\nRUN x \\\n y\nFROM c')).toEqual([
      { image: 'a', name: 'b', instructions: [{ op: 'RUN', args: 'x   y' }] },
      { image: 'c', name: undefined, instructions: [] },
    ]);
  });

  it('.dockerignore leaves out installed and built files', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '.codeframe'])
      expect(ignored).toContain(entry);
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true });
  it.each(SERVICES.map((s) => [s.name, s]))(
    '%s: image, ports and variables match the service',
    (name, svc) => {
      const c = compose.services[name];
      expect(c, `compose service ${name}`).toBeDefined();
      expect(c.build.dockerfile).toBe(`deploy/docker/${name}.Dockerfile`);
      expect(existsSync(join(DEPLOY, c.build.context, c.build.dockerfile))).toBe(true);
      expect(Number(c.environment.PORT)).toBe(svc.port);
      if (svc.grpcPort !== svc.port) expect(Number(c.environment.GRPC_PORT)).toBe(svc.grpcPort);
      expect(unknownVariables(Object.keys(c.environment).map((n) => ({ name: n })))).toEqual([]);
      for (const mapping of c.ports ?? [])
        expect(svc.ports).toContain(Number(String(mapping).split(':').at(-1)));
      if (name.startsWith('worker-')) expect(c.security_opt).toContain('seccomp=unconfined');
    },
  );
  it('the lead reaches the workers and PostgreSQL, the edge the lead, by their compose names', () => {
    const lead = compose.services.lead.environment;
    for (const w of workers) {
      const [host, port] = hostPort(lead[`CODEFRAME_WORKERS_${w.name.slice(7).toUpperCase()}`]);
      expect([host, Number(port)]).toEqual([w.name, w.port]);
    }
    const db = new URL(lead.CODEFRAME_DATABASE_URL.replace(/\$\{[^}]*\}/, 'x'));
    expect(db.protocol).toBe('postgres:');
    expect(compose.services[db.hostname]?.image).toMatch(/^postgres:/);
    const [host, port] = hostPort(compose.services.edge.environment.CODEFRAME_LEAD_URL);
    expect([host, Number(port)]).toEqual(['lead', facts('lead').port]);
  });
});

describe.each(['base', 'overlays/example'])('kustomization %s', (dir) => {
  const docs = renderKustomization(join(DEPLOY, 'k8s', dir));
  const find = (kind: string, name: string) =>
    docs.find((d) => d.kind === kind && d.metadata.name === name);
  const secrets = docs.filter((d) => d.kind === 'Secret');

  it.each(SERVICES.map((s) => [s.name, s]))(
    '%s: Deployment ports, probes, variables and resources',
    (name, svc) => {
      const deployment = find('Deployment', name);
      expect(deployment, `Deployment ${name}`).toBeDefined();
      expect(
        subset(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels),
      ).toBe(true);
      const pod = podSpec(deployment);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      const [c] = pod.containers;
      expect(c.image.replace(/:.*$/, '')).toMatch(new RegExp(`(^|/)codeframe/${name}$`));
      const named = Object.fromEntries(c.ports.map((p: Doc) => [p.name, p.containerPort]));
      expect(c.ports.map((p: Doc) => p.containerPort).sort()).toEqual(svc.ports);
      const env = Object.fromEntries(c.env.map((e: Doc) => [e.name, e.value]));
      expect(Number(env.PORT)).toBe(svc.port);
      if (svc.grpcPort !== svc.port) expect(Number(env.GRPC_PORT)).toBe(svc.grpcPort);
      expect(unknownVariables(c.env)).toEqual([]);
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        const port = probe?.grpc?.port;
        expect(typeof port === 'string' ? named[port] : port, `${name}: grpc probe port`).toBe(
          svc.grpcPort,
        );
      }
      expect(
        c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory,
      ).toBeTruthy();
      for (const { valueFrom } of c.env.filter((e: Doc) => e.valueFrom?.secretKeyRef)) {
        const { name: secret, key } = valueFrom.secretKeyRef;
        expect(
          secrets.find((s) => s.metadata.name === secret)?.stringData,
          `Secret ${secret}`,
        ).toHaveProperty(key);
      }
      for (const service of docs.filter(
        (d) =>
          d.kind === 'Service' && subset(d.spec.selector, deployment.spec.template.metadata.labels),
      ))
        for (const p of service.spec.ports)
          expect(svc.ports).toContain(named[p.targetPort] ?? p.targetPort);
    },
  );

  it.each(workers.map((w) => [w.name, w]))(
    '%s: a headless Service the lead resolves, reached only from the lead',
    (name, w) => {
      const labels = find('Deployment', name).spec.template.metadata.labels;
      const service = find('Service', name);
      expect(service.spec.clusterIP).toBe('None');
      expect(subset(service.spec.selector, labels)).toBe(true);
      expect(service.spec.ports.map((p: Doc) => p.port)).toEqual([w.port]);
      const leadEnv = podSpec(find('Deployment', 'lead')).containers[0].env;
      const target = leadEnv.find(
        (e: Doc) => e.name === `CODEFRAME_WORKERS_${name.slice(7).toUpperCase()}`,
      )?.value;
      expect(target).toBe(`dns:///${name}:${w.port}`);
      const leadLabels = find('Deployment', 'lead').spec.template.metadata.labels;
      const policies = docs.filter(
        (d) => d.kind === 'NetworkPolicy' && subset(d.spec.podSelector.matchLabels, labels),
      );
      expect(policies.length, `a NetworkPolicy selecting ${name}`).toBeGreaterThan(0);
      for (const policy of policies) {
        expect(policy.spec.policyTypes).toContain('Ingress');
        for (const rule of policy.spec.ingress) {
          for (const from of rule.from)
            expect(subset(from.podSelector.matchLabels, leadLabels)).toBe(true);
          expect(rule.ports.map((p: Doc) => p.port)).toContain(w.port);
        }
      }
    },
  );

  it('the edge follows the lead through its Service, and PostgreSQL is the one database-url names', () => {
    const edgeEnv = podSpec(find('Deployment', 'edge')).containers[0].env;
    const [host, port] = hostPort(edgeEnv.find((e: Doc) => e.name === 'CODEFRAME_LEAD_URL').value);
    expect(find('Service', host).spec.ports.map((p: Doc) => p.port)).toContain(Number(port));
    expect(Number(port)).toBe(facts('lead').port);
    const db = new URL(
      secrets.find((s) => s.metadata.name === 'codeframe').stringData['database-url'],
    );
    expect(db.protocol).toBe('postgres:');
    expect(find('Service', db.hostname).spec.ports.map((p: Doc) => p.port)).toContain(
      Number(db.port),
    );
  });
});
