// The worker as a model would attack it: commands that plant code for the worker's own git
// to run on the host, read what is not theirs, or exhaust the machine.
import { execFileSync } from 'node:child_process';
import { access, mkdtemp, realpath, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastToolResults, text, toolUse } from '@codeframe/fake-anthropic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  git,
  outcome,
  PASSING_TESTS,
  planting,
  repoMaker,
  startTestWorker,
  type TestWorker,
} from './test-worker.fixture.js';

let dir: string;
let sandboxed: TestWorker;
let unsandboxed: TestWorker;
let repo: ReturnType<typeof repoMaker>;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'worker-attacks-')));
  repo = repoMaker(dir);
  sandboxed = await startTestWorker(join(dir, 'bwrap'), {
    brain: planting([]),
    commandTimeoutMs: 60_000,
  });
  unsandboxed = await startTestWorker(join(dir, 'none'), {
    brain: planting([]),
    sandbox: { mode: 'none' },
  });
});

afterAll(async () => {
  await sandboxed?.close();
  await unsandboxed?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('git that a command cannot arm', () => {
  const hooks = [
    'pre-commit',
    'prepare-commit-msg',
    'commit-msg',
    'post-commit',
    'pre-push',
    'post-checkout',
    'reference-transaction',
    'post-index-change',
  ];
  // Each plant, were it to work, makes the worker's own git (add, commit, push, on the
  // host) touch the marker. `;` so every step is tried even when one is refused.
  const plants: [string, (marker: string) => string[], RegExp | null][] = [
    [
      '.git replaced by a new repository with core.fsmonitor',
      (m) => [`rm -rf .git; git init -q .; git config core.fsmonitor "touch ${m}; false"`],
      /\.git was replaced/,
    ],
    [
      'a .git with core.hooksPath and every hook',
      (m) => [
        `mkdir -p .hooks; for h in ${hooks.join(' ')}; do printf '#!/bin/sh\\ntouch ${m}\\n' > .hooks/$h; chmod +x .hooks/$h; done; git config core.hooksPath .hooks`,
      ],
      /git config was changed/,
    ],
    [
      "hooks in the repository's own hooks folder",
      (m) => [
        `d=$(git rev-parse --git-common-dir)/hooks; for h in ${hooks.join(' ')}; do printf '#!/bin/sh\\ntouch ${m}\\n' > $d/$h; chmod +x $d/$h; done`,
      ],
      // Nothing to refuse: the worker's git runs no hooks at all (hooksPath is pinned).
      null,
    ],
    [
      'a .gitattributes clean/smudge filter with its config',
      (m) => [
        `echo '* filter=evil' > .gitattributes; git config filter.evil.clean "touch ${m}; cat"; git config filter.evil.smudge "touch ${m}; cat"; git config filter.evil.required true`,
      ],
      /git config was changed/,
    ],
    [
      'a .git file re-pointed with gitdir:',
      (m) => [
        `git init -q ${m}-repo; git -C ${m}-repo config core.fsmonitor "touch ${m}; false"; echo "gitdir: ${m}-repo/.git" > .git`,
      ],
      /\.git was re-pointed/,
    ],
  ];

  it.each(plants)(
    'sandboxed, %s: the plant is refused and the task completes',
    async (_name, plant) => {
      const marker = join(dir, `marker-${Math.random().toString(36).slice(2)}`);
      sandboxed.brain = planting(plant(marker));
      const url = repo();
      const { events, error } = await sandboxed.execute({
        task: { id: 'plant', title: 'x' },
        repoUrl: url,
        baseRef: 'main',
      });
      expect(error).toBeUndefined();
      expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
      expect(await exists(marker)).toBe(false);
      expect(git(['--git-dir', url.slice(7), 'show', 'task/plant:package.json'])).toBe(
        PASSING_TESTS,
      );
    },
  );

  it.each(plants)(
    'unsandboxed, %s: runs nothing on the host, and a replaced .git fails the task',
    async (_name, plant, reason) => {
      const marker = join(dir, `marker-${Math.random().toString(36).slice(2)}`);
      unsandboxed.brain = planting(plant(marker));
      const url = repo();
      const { events } = await unsandboxed.execute({
        task: { id: 'plant', title: 'x' },
        repoUrl: url,
        baseRef: 'main',
      });
      expect(await exists(marker)).toBe(false);
      if (!reason) {
        expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
      } else {
        expect(outcome(events)).toMatchObject({
          outcome: 'TASK_OUTCOME_FAILED',
          error: expect.stringMatching(reason),
        });
        expect(() =>
          git(['--git-dir', url.slice(7), 'rev-parse', '--verify', '-q', 'task/plant']),
        ).toThrow();
      }
    },
  );
});

describe('what a command cannot see', () => {
  it("never shows the worker's keys or tokens to a command, a tool result or an event", async () => {
    const secrets = {
      ANTHROPIC_API_KEY: 'sk-ant-spec-secret-1',
      CODEFRAME_AUTH_TOKEN: 'spec-token-2',
    };
    const saved = Object.fromEntries(Object.keys(secrets).map((k) => [k, process.env[k]]));
    Object.assign(process.env, secrets);
    const homeSecret = join(homedir(), `.codeframe-worker-spec-${process.pid}`);
    execFileSync('sh', ['-c', `echo home-secret-3 > ${homeSecret}`]);
    try {
      sandboxed.brain = planting([
        'env; cat /proc/self/environ /proc/1/environ; ls /proc',
        `cat ${homeSecret}; cat ${join(dir, 'none', 'work')}/worktrees/*/package.json; ls ${dir}`,
      ]);
      const before = sandboxed.fake.requests.length;
      const { events } = await sandboxed.execute({
        task: { id: 'env', title: 'x' },
        repoUrl: repo(),
        baseRef: 'main',
      });
      expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
      const seen = JSON.stringify({ events, requests: sandboxed.fake.requests.slice(before) });
      expect(seen).toContain('HOME=/tmp');
      for (const secret of [...Object.values(secrets), 'home-secret-3'])
        expect(seen).not.toContain(secret);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await rm(homeSecret, { force: true });
    }
  });
});

describe('limits', () => {
  it('stops a fork bomb, a 4 GiB allocation and a 10 GiB file, naming each, while another task completes', async (ctx) => {
    // As root without a writable cgroup a fork bomb has no hard cap (see sandbox-limits.spec).
    if (!sandboxed.sandbox.kernelLimits && process.getuid?.() === 0) {
      console.warn(
        'skipped: running as root without a writable cgroup, a fork bomb has no hard cap here',
      );
      ctx.skip();
    }
    sandboxed.brain = (req) => {
      const conversation = JSON.stringify(req.messages[0]);
      if (conversation.includes('quiet neighbour')) {
        return req.messages.length === 1
          ? {
              content: [
                toolUse('write_file', { path: 'package.json', content: PASSING_TESTS }),
                toolUse('run_command', { command: 'sleep 2; echo neighbour done' }),
              ],
            }
          : { content: [toolUse('finish', { summary: 'fine' })] };
      }
      if (req.messages.length === 1) {
        return {
          content: [
            toolUse('write_file', { path: 'package.json', content: PASSING_TESTS }),
            toolUse('run_command', { command: 'bomb() { bomb | bomb & }; bomb; sleep 5' }),
            toolUse('run_command', { command: `python3 -c "x = bytearray(b'x') * (4 << 30)"` }),
            toolUse('run_command', { command: 'head -c 10G /dev/zero > big.bin' }),
          ],
        };
      }
      const results = lastToolResults(req).map((r) => r.text.split('\n')[0]);
      return {
        content: [
          text(results.join('\n')),
          toolUse('run_command', { command: 'rm -f big.bin' }),
          toolUse('finish', { summary: 'contained' }),
        ],
      };
    };
    const url = repo();
    const [hog, neighbour] = await Promise.all([
      sandboxed.execute({ task: { id: 'hog', title: 'greedy' }, repoUrl: url, baseRef: 'main' }),
      new Promise((resolve) => setTimeout(resolve, 300)).then(() =>
        sandboxed.execute({
          task: { id: 'neighbour', title: 'quiet neighbour' },
          repoUrl: url,
          baseRef: 'main',
        }),
      ),
    ]);
    expect(outcome(neighbour.events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    expect(JSON.stringify(neighbour.events)).toContain('neighbour done');
    const said = hog.events.map((e) => String(e.activityUpdate?.message ?? '')).join('\n');
    expect(said).toContain(
      "it reached the sandbox's limit of 1024 processes (CODEFRAME_SANDBOX_MAX_PROCESSES)",
    );
    expect(said).toMatch(
      /used more than 2048 MiB of memory, the sandbox's limit \(CODEFRAME_SANDBOX_MEMORY_MB\)/,
    );
    expect(said).toContain(
      "it wrote a file of 1024 MiB, the sandbox's file-size limit (CODEFRAME_SANDBOX_FILE_MB)",
    );
    expect(outcome(hog.events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
  }, 120_000);
});

describe('a command too long to start', () => {
  it('gets an error result, and the task goes on', async () => {
    sandboxed.brain = (req) => {
      if (req.messages.length === 1)
        return planting([`echo ${'x'.repeat(200_000)}`])(req, undefined as never);
      const [result] = lastToolResults(req).filter((r) => r.name === 'run_command');
      return { content: [text(result?.text ?? 'none'), toolUse('finish', { summary: 'ok' })] };
    };
    const { events, error } = await sandboxed.execute({
      task: { id: 'long', title: 'x' },
      repoUrl: repo(),
      baseRef: 'main',
    });
    expect(error).toBeUndefined();
    expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    const said = events.map((e) => String(e.activityUpdate?.message ?? '')).join('\n');
    expect(said).toContain('the command is 200005 bytes; keep it under 65536');
  });
});

describe('tool calls that once stalled or crashed the worker', () => {
  it('a FIFO, a catastrophic pattern, a long name, a write below a file and a 560 MB sparse file are error results, and the task completes', async () => {
    const name = `${'n'.repeat(300)}.txt`;
    const calls = [
      toolUse('read_file', { path: 'pipe' }),
      toolUse('search', { pattern: '^(a+)+$' }),
      toolUse('write_file', { path: name, content: 'x' }),
      toolUse('write_file', { path: 'package.json/below', content: 'x' }),
      toolUse('read_file', { path: 'sparse' }),
    ];
    let results: string[] = [];
    sandboxed.brain = (req) => {
      if (req.messages.length === 1)
        return planting([
          `mkfifo pipe && truncate -s 560M sparse && printf '${'a'.repeat(36)}b\n' > aaa`,
        ])(req, undefined as never);
      if (req.messages.length === 3) return { content: calls };
      if (req.messages.length === 5)
        results = lastToolResults(req).map((r) => `${r.isError ? 'error' : 'ok'}: ${r.text}`);
      return {
        content: [
          toolUse('run_command', { command: 'rm sparse' }),
          toolUse('finish', { summary: 'survived' }),
        ],
      };
    };
    const { events, error } = await sandboxed.execute({
      task: { id: 'tools', title: 'hostile files' },
      repoUrl: repo(),
      baseRef: 'main',
    });
    expect(error).toBeUndefined();
    expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    expect(results).toHaveLength(5);
    expect(results[0]).toMatch(/^error: "pipe": it is a FIFO/);
    expect(results[1]).toBe('ok: no matches');
    expect(results[2]).toMatch(/^error: "n{300}\.txt": a name in the path is too long/);
    expect(results[3]).toMatch(/^error: "package\.json\/below": package\.json is a file/);
    expect(results[4]).toMatch(
      /^ok: [\s\S]*truncated: read_file reads the first 8388608 of 587202560 bytes/,
    );
    expect(await sandboxed.describe()).toMatchObject({ load: 0 });
  });
});

describe('an error the agent loop did not expect', () => {
  it('ends the task with a FAILED result naming it, not a broken stream', async () => {
    const url = repo();
    sandboxed.brain = async (req) => {
      if (req.messages.length === 1) return planting([])(req, undefined as never);
      // The project's repository disappears before the worker pushes the work.
      await rm(new URL(url).pathname, { recursive: true, force: true });
      return { content: [toolUse('finish', { summary: 'done' })] };
    };
    const { events, error } = await sandboxed.execute({
      task: { id: 'gone', title: 'push to nowhere' },
      repoUrl: url,
      baseRef: 'main',
    });
    expect(error).toBeUndefined();
    expect(outcome(events)).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: expect.stringMatching(
        /^the worker failed on this task \(error [0-9a-f]{12}\): .*push/,
      ),
    });
  });
});

describe('an unsandboxed worker', () => {
  it('says so in Describe: any host is reachable', async () => {
    expect(await unsandboxed.describe()).toMatchObject({ sandbox: 'none', allowedHosts: ['*'] });
  });
});
