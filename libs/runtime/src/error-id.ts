import { randomBytes } from 'node:crypto';

/** The id an unexpected error is logged under and the caller is told, to find one in the other. */
export function newErrorId(): string {
  return randomBytes(6).toString('hex');
}
