import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

// CPU and memory of a process as the kernel counts them, read from /proc, so a server is
// measured from outside without changing it. CPU covers every thread of the process (the
// event loop, libuv's pool, V8's GC); `childCpuMs` adds the children it waited for (git,
// bubblewrap and the test runs of a worker).

export interface ProcessSample {
  pid: number;
  /** performance.timeOrigin + performance.now() of the reading, in ms. */
  at: number;
  cpuMs: number;
  childCpuMs: number;
  rssBytes: number;
  /** VmHWM: the highest RSS the process ever had. */
  peakRssBytes: number;
}

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Undefined when the process is gone. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = (i: number) => (Number(fields[i - 3]) * 1000) / ticksPerSecond;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return {
      pid,
      at: performance.timeOrigin + performance.now(),
      cpuMs: tick(14) + tick(15),
      childCpuMs: tick(16) + tick(17),
      rssBytes: kb('VmRSS') * 1024,
      peakRssBytes: kb('VmHWM') * 1024,
    };
  } catch {
    return undefined;
  }
}

/** CPU used between two samples, in percent of one core (200 = both cores of this machine). */
export function cpuPercent(
  from: ProcessSample | undefined,
  to: ProcessSample | undefined,
  withChildren = false,
): number {
  if (!from || !to || to.at <= from.at) return 0;
  const used = to.cpuMs - from.cpuMs + (withChildren ? to.childCpuMs - from.childCpuMs : 0);
  return (used / (to.at - from.at)) * 100;
}

/** Jiffies of the whole machine: busy (everything but idle and iowait) and total. */
export function sampleMachine(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** Samples a set of processes at the start and end of a phase, and tracks the highest RSS. */
export class PhaseMeter {
  readonly #start = new Map<number, ProcessSample | undefined>();
  readonly #peak = new Map<number, number>();
  readonly #machine = sampleMachine();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: Record<string, number>) {
    for (const pid of Object.values(pids)) {
      const sample = sampleProcess(pid);
      this.#start.set(pid, sample);
      this.#peak.set(pid, sample?.rssBytes ?? 0);
    }
    this.#timer = setInterval(() => {
      for (const pid of Object.values(pids)) {
        const rss = sampleProcess(pid)?.rssBytes ?? 0;
        if (rss > (this.#peak.get(pid) ?? 0)) this.#peak.set(pid, rss);
      }
    }, 100);
    this.#timer.unref();
  }

  /**
   * Per name: CPU % of one core over the phase (alone, and with the children it waited
   * for), and the highest RSS seen during it; under `machine`, the whole machine's busy
   * share in % of all its cores; under `other`, in % of one core, the CPU the machine spent
   * outside these processes and their children: the kernel's own work (loopback networking)
   * and any other process.
   */
  stop(): Record<string, ProcessUsage> {
    clearInterval(this.#timer);
    const machine = sampleMachine();
    const busy = round(
      (100 * (machine.busy - this.#machine.busy)) /
        Math.max(1, machine.total - this.#machine.total),
      1,
    );
    const out: Record<string, ProcessUsage> = {
      machine: { cpuPercent: busy, cpuWithChildrenPercent: busy, cpuMs: 0, peakRssMb: 0 },
    };
    let ours = 0;
    for (const [name, pid] of Object.entries(this.pids)) {
      const start = this.#start.get(pid);
      const end = sampleProcess(pid);
      const peak = Math.max(this.#peak.get(pid) ?? 0, end?.rssBytes ?? 0);
      out[name] = {
        cpuPercent: round(cpuPercent(start, end), 1),
        cpuWithChildrenPercent: round(cpuPercent(start, end, true), 1),
        cpuMs: start && end ? end.cpuMs - start.cpuMs : 0,
        peakRssMb: round(peak / 2 ** 20, 1),
      };
      ours += out[name]!.cpuWithChildrenPercent;
    }
    const other = round(Math.max(0, busy * cpus().length - ours), 1);
    out.other = { cpuPercent: other, cpuWithChildrenPercent: other, cpuMs: 0, peakRssMb: 0 };
    return out;
  }
}

export interface ProcessUsage {
  /** % of one core. */
  cpuPercent: number;
  cpuWithChildrenPercent: number;
  /** CPU time over the phase, without children. */
  cpuMs: number;
  peakRssMb: number;
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
