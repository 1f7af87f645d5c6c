import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from './index.js';

describe('backoffDelay', () => {
  const policy = { baseMs: 100, maxMs: 1_000 };

  it('grows exponentially with jitter between half and all of the step', () => {
    for (let i = 0; i < 50; i++) {
      const first = backoffDelay(1, policy);
      const third = backoffDelay(3, policy);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);
    }
  });

  it('is capped, and honours a longer retry-after', () => {
    expect(backoffDelay(20, policy)).toBeLessThanOrEqual(1_000);
    expect(backoffDelay(1, policy, 5_000)).toBe(5_000);
  });
});

describe('sleep', () => {
  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
  });
});
