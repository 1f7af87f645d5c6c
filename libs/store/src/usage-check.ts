// The amounts of usage to add, checked the same way by every store.
import { USAGE_AMOUNTS, type UsageTotals } from '@codeframe/proto';
import { StoreError } from './store.js';

/** Token counts and calls are whole numbers, nothing is negative. */
export function checkUsageAmounts(delta: UsageTotals): void {
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
