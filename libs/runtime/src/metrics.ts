// The process's one Prometheus registry: every family a CodeFRAME process exposes at /metrics.
import client, { type Counter, type Gauge, type Histogram } from 'prom-client';

const registry = new client.Registry();
let defaultsCollected = false;

/** Families with a fixed set of label names; values must come from a bounded set (never ids). */
interface FamilyOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

const NAME = /^codeframe_[a-z_][a-z0-9_]*$/;

function checked(name: string): void {
  if (!NAME.test(name)) throw new Error(`metric name ${name} must match ${NAME}`);
}

/**
 * A counter in the process registry. Asking again for the same name returns the same family
 * (several servers in one process share it); a different type under that name is an error.
 */
export function counter<L extends string = never>(o: FamilyOptions<L>): Counter<L> {
  return family(o.name, client.Counter, () => new client.Counter<L>({ ...base(o) }));
}

/** A gauge; with `read`, its value is read at each scrape instead of set; with `readEach`
 * (one label), a value per label value, read at each scrape (a read that throws leaves
 * the family without samples for that scrape rather than failing /metrics). */
export function gauge<L extends string = never>(
  o: FamilyOptions<L> & { read?: () => number; readEach?: () => Promise<Map<string, number>> },
): Gauge<L> {
  const { read, readEach } = o;
  const label = o.labelNames?.[0];
  return family(
    o.name,
    client.Gauge,
    () =>
      new client.Gauge<L>({
        ...base(o),
        ...(read
          ? {
              collect(this: Gauge<L>) {
                this.set(read());
              },
            }
          : {}),
        ...(readEach && label
          ? {
              async collect(this: Gauge<L>) {
                this.reset();
                const values = await readEach().catch(() => new Map<string, number>());
                for (const [value, n] of values)
                  this.set({ [label]: value } as Partial<Record<L, string>>, n);
              },
            }
          : {}),
      }),
  );
}

export function histogram<L extends string = never>(
  o: FamilyOptions<L> & { buckets?: number[] },
): Histogram<L> {
  return family(
    o.name,
    client.Histogram,
    () => new client.Histogram<L>({ ...base(o), ...(o.buckets ? { buckets: o.buckets } : {}) }),
  );
}

function base<L extends string>(o: FamilyOptions<L>) {
  checked(o.name);
  return {
    name: o.name,
    help: o.help,
    labelNames: (o.labelNames ?? []) as L[],
    registers: [registry],
  };
}

function family<T>(name: string, type: abstract new (...args: never[]) => T, create: () => T): T {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return create();
  if (!(existing instanceof type)) throw new Error(`metric ${name} exists with another type`);
  return existing as T;
}

/** The Prometheus text of every family, with the Node process defaults (event-loop delay, heap, GC). */
export async function renderMetrics(): Promise<{ contentType: string; text: string }> {
  if (!defaultsCollected) {
    defaultsCollected = true;
    client.collectDefaultMetrics({ register: registry, prefix: 'codeframe_' });
  }
  return { contentType: registry.contentType, text: await registry.metrics() };
}

/** Seconds since `start` (a `performance.now()` reading), for histograms. */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
