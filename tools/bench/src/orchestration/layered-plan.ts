// The task graph of the orchestration benchmark: `layers` layers of equal width, each task
// depending on two tasks of the layer before, kinds in rotation. Its critical path is one
// task per layer, so the ideal makespan is known in advance.

export interface PlannedTask {
  key: string;
  title: string;
  description: string;
  kind: 'backend' | 'frontend' | 'test';
  depends_on: string[];
  acceptance_criteria: string[];
}

const KINDS = ['backend', 'frontend', 'test'] as const;

export function layeredPlan(tasks: number, layers: number): PlannedTask[] {
  const width = Math.ceil(tasks / layers);
  const key = (layer: number, i: number) => `t${layer}-${i}`;
  const plan: PlannedTask[] = [];
  for (let n = 0; n < tasks; n++) {
    const layer = Math.floor(n / width);
    const i = n % width;
    const previous = layer === 0 ? 0 : Math.min(width, tasks - (layer - 1) * width);
    const deps =
      layer === 0
        ? []
        : [...new Set([key(layer - 1, i % previous), key(layer - 1, (i + 1) % previous)])];
    plan.push({
      key: key(layer, i),
      title: `Build part ${i} of layer ${layer}`,
      description: `Write ${key(layer, i)}.txt.`,
      kind: KINDS[(layer + i) % KINDS.length]!,
      depends_on: deps,
      acceptance_criteria: [`${key(layer, i)}.txt exists`],
    });
  }
  return plan;
}

/** Tasks on the longest dependency chain. */
export function criticalPathTasks(plan: readonly PlannedTask[]): number {
  const depth = new Map<string, number>();
  const visit = (task: PlannedTask): number => {
    const known = depth.get(task.key);
    if (known !== undefined) return known;
    const byKey = (k: string) => plan.find((t) => t.key === k)!;
    const d = 1 + Math.max(0, ...task.depends_on.map((k) => visit(byKey(k))));
    depth.set(task.key, d);
    return d;
  };
  return Math.max(0, ...plan.map(visit));
}

export interface IdealBound {
  criticalPathTasks: number;
  criticalPathMs: number;
  /** Total work over the slots of all replicas, and per kind over that kind's slots. */
  capacityMs: number;
  capacityByKindMs: number;
  idealMs: number;
}

/** The makespan no scheduler can beat: max(critical path, work over capacity). */
export function idealBound(
  plan: readonly PlannedTask[],
  perTaskMs: number,
  slotsPerKind: number,
): IdealBound {
  const critical = criticalPathTasks(plan);
  const capacityMs = (plan.length * perTaskMs) / (slotsPerKind * KINDS.length);
  const capacityByKindMs = Math.max(
    ...KINDS.map((k) => (plan.filter((t) => t.kind === k).length * perTaskMs) / slotsPerKind),
  );
  return {
    criticalPathTasks: critical,
    criticalPathMs: critical * perTaskMs,
    capacityMs,
    capacityByKindMs,
    idealMs: Math.max(critical * perTaskMs, capacityMs, capacityByKindMs),
  };
}
