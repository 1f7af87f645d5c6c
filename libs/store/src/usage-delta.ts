// The amounts of a usage delta, checked the same way by every store.
import { StoreError, type UsageDelta } from './store.js';

export const USAGE_AMOUNTS = [
  'inputTokens',
  'outputTokens',
  'cacheReadInputTokens',
  'cacheCreationInputTokens',
  'costUsd',
  'calls',
] as const;

/** Token counts and calls are whole numbers, nothing is negative. */
export function checkUsageDelta(delta: UsageDelta): void {
  for (const field of USAGE_AMOUNTS) {
    const value = delta[field];
    const whole = field !== 'costUsd';
    if (!Number.isFinite(value) || value < 0 || (whole && !Number.isInteger(value))) {
      throw new StoreError(
        'invalid',
        `usage ${field} must be a ${whole ? 'whole ' : ''}number ≥ 0, got ${value}`,
      );
    }
  }
}
