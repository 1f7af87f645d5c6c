import { describe, expect, it } from 'vitest';
import { criticalPathTasks, idealBound, layeredPlan } from './layered-plan.js';

describe('layeredPlan', () => {
  it('builds layers whose tasks depend on the layer before, with one task per layer on the critical path', () => {
    const plan = layeredPlan(200, 10);
    expect(plan).toHaveLength(200);
    expect(new Set(plan.map((t) => t.key)).size).toBe(200);
    expect(plan.filter((t) => t.depends_on.length === 0)).toHaveLength(20);
    expect(plan.at(-1)!.depends_on.every((k) => k.startsWith('t8-'))).toBe(true);
    expect(criticalPathTasks(plan)).toBe(10);
  });

  it('bounds the makespan by the critical path or by the work over the slots', () => {
    const plan = layeredPlan(30, 3);
    expect(idealBound(plan, 1000, 10).idealMs).toBe(3000);
    expect(idealBound(plan, 1000, 1).idealMs).toBe(10_000);
  });
});
