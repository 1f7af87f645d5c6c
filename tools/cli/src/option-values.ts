// Values of arguments and options, checked: a bad one is a usage error naming it.
import { CliError, Exit } from './cli-error.js';

/** 0 (none) or a positive amount of USD. */
export function amount(what: string, raw: string): number {
  const n = raw.trim() ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) {
    throw new CliError(
      `${what} must be 0 (none) or a positive amount of USD, got "${raw}"`,
      Exit.Usage,
    );
  }
  return n;
}

export function positive(option: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliError(`${option} must be a positive number, got "${raw}"`, Exit.Usage);
  }
  return n;
}

export function onOff(option: string, raw: string): boolean {
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new CliError(`${option} must be "on" or "off", got "${raw}"`, Exit.Usage);
}

/** A seq: 0 or more. */
export function seq(option: string, raw: string): bigint {
  if (!/^\d+$/.test(raw))
    throw new CliError(`${option} must be a seq (0 or more), got "${raw}"`, Exit.Usage);
  return BigInt(raw);
}

/** The option's value as a string, when it was given. */
export const text = (value: string | boolean | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;
