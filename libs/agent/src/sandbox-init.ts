// The first process inside the sandbox (bubblewrap runs it as `node init.cjs <config>`). It
// gives the command its one way out, a loopback port forwarded to the worker's filtering
// proxy, and watches what the command and everything it starts use: processes, memory, and
// the disk under the worktree. Over a limit it kills them all and says which limit on fd 3.
// The command cannot switch it off: if it kills this process, bubblewrap ends the sandbox.
//
// It runs from its own source text (SANDBOX_INIT_SOURCE), so `sandboxInit` must be
// self-contained: Node's own modules through require, nothing from the enclosing module.

/** What the host tells the supervisor, as its one argument (JSON). */
export interface InitConfig {
  command: string;
  /** The command's environment; the supervisor itself runs with almost none (a Node.js
   * that loads NODE_EXTRA_CA_CERTS at start takes twice as long to start). */
  env: Record<string, string>;
  /** Unix socket of the worker's filtering proxy inside the sandbox, if there is network. */
  proxySocket?: string;
  /** The loopback port the command's HTTP(S)_PROXY points at. */
  proxyPort: number;
  maxProcesses: number;
  maxMemoryBytes: number;
  /** How much the worktree may hold. */
  maxDiskBytes: number;
  /** Free space the file system must keep; below it the command is stopped. */
  minFreeBytes: number;
}

/** A line on fd 3: the limit the command hit, or how the command ended. */
export type InitReport =
  | { limit: 'processes' | 'memory' | 'disk' | 'disk-free'; observed: number }
  | { exit: { code: number | null; signal: string | null } };

function sandboxInit(): void {
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const fs = require('node:fs') as typeof import('node:fs');
  const net = require('node:net') as typeof import('node:net');
  const os = require('node:os') as typeof import('node:os');
  const STATUS_FD = 3;
  const SAMPLE_MS = 100;
  const DISK_SAMPLE_MS = 1_000;
  const PAGE = 4096;

  const report = (line: InitReport) => {
    try {
      fs.writeSync(STATUS_FD, `${JSON.stringify(line)}\n`);
    } catch {
      // no status channel (run by hand): the exit code still tells
    }
  };

  /** The processes of this sandbox's PID namespace, but for its init (1) and this one. */
  const pids = () =>
    fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((pid) => pid !== 1 && pid !== process.pid);

  /** Private resident memory: resident minus shared pages, from statm. */
  const privateMemory = (list: number[]) => {
    let bytes = 0;
    for (const pid of list) {
      try {
        const [, resident = '0', shared = '0'] = fs
          .readFileSync(`/proc/${pid}/statm`, 'utf8')
          .split(' ');
        bytes += Math.max(0, Number(resident) - Number(shared)) * PAGE;
      } catch {
        // it ended while we looked
      }
    }
    return bytes;
  };

  /** Bytes the tree under `dir` occupies on disk. */
  const diskUsage = (dir: string) => {
    let bytes = 0;
    const stack = [dir];
    while (stack.length > 0) {
      const current = stack.pop() as string;
      let names: string[] = [];
      try {
        names = fs.readdirSync(current);
      } catch {
        continue;
      }
      for (const name of names) {
        const path = `${current}/${name}`;
        try {
          const st = fs.lstatSync(path);
          bytes += st.blocks * 512;
          if (st.isDirectory()) stack.push(path);
        } catch {
          // removed while we looked
        }
      }
    }
    return bytes;
  };

  const freeBytes = (dir: string) => {
    const st = fs.statfsSync(dir);
    return st.bavail * st.bsize;
  };

  const config = JSON.parse(process.argv[2] ?? '{}') as InitConfig;
  const cwd = process.cwd();
  let child: import('node:child_process').ChildProcess | undefined;
  let stopped = false;
  const stop = (limit: 'processes' | 'memory' | 'disk' | 'disk-free', observed: number) => {
    if (stopped) return;
    stopped = true;
    report({ limit, observed });
    try {
      process.kill(-1, 'SIGKILL');
    } catch {
      // nothing left to kill
    }
    process.exit(137);
  };

  const start = () => {
    // fd 3 is the supervisor's own: the command gets /dev/null there.
    child = spawn('/bin/sh', ['-c', config.command], {
      env: config.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ignore'],
    });
    const sampler = setInterval(() => {
      const list = pids();
      if (list.length >= config.maxProcesses) stop('processes', list.length);
      const memory = privateMemory(list);
      if (memory > config.maxMemoryBytes) stop('memory', memory);
    }, SAMPLE_MS);
    // The worktree is measured only after the file system lost a quarter of the worktree's
    // allowance since the last look, so a quiet command costs one statfs a second.
    let baseline = freeBytes(cwd);
    const disk = setInterval(() => {
      const free = freeBytes(cwd);
      if (free < config.minFreeBytes) stop('disk-free', free);
      if (baseline - free < config.maxDiskBytes / 4) return;
      const used = diskUsage(cwd);
      if (used > config.maxDiskBytes) stop('disk', used);
      baseline = free;
    }, DISK_SAMPLE_MS);
    child.once('error', (err) => {
      process.stderr.write(`sandbox: could not start /bin/sh: ${err.message}\n`);
      process.exit(127);
    });
    child.once('exit', (code, signal) => {
      clearInterval(sampler);
      clearInterval(disk);
      report({ exit: { code, signal } });
      const signals = os.constants.signals as Record<string, number>;
      process.exit(code ?? 128 + (signals[signal ?? ''] ?? 1));
    });
  };

  const socket = config.proxySocket;
  if (!socket) {
    start();
    return;
  }
  const forwarder = net.createServer((client) => {
    const upstream = net.connect(socket);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  forwarder.once('error', (err) => {
    process.stderr.write(
      `sandbox: cannot open the proxy port ${config.proxyPort}: ${err.message}\n`,
    );
    process.exit(125);
  });
  forwarder.listen(config.proxyPort, '127.0.0.1', start);
}

/** The supervisor as a CommonJS file, written beside the worker's other sandbox files. */
export const SANDBOX_INIT_SOURCE = `'use strict';\n(${sandboxInit.toString()})();\n`;
