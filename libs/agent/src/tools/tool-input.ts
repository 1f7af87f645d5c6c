// The model's tool input: the schemas of the fields several tools share, and the readers
// that turn a field of the wrong type into a BadInput the model is told about.
import { pageFooter, pageOf } from '../text-pages.js';

export const PATH = {
  type: 'string',
  description: 'Path relative to the repository root.',
} as const;
export const OFFSET = {
  type: 'integer',
  minimum: 1,
  description: 'The first line to show, counting from 1 (default: 1).',
} as const;
export const LIMIT = {
  type: 'integer',
  minimum: 1,
  description: 'How many lines to show (default: all, within the size a result may have).',
} as const;

/** A call the model got wrong; its message is the call's error result. */
export class BadInput extends Error {}

export function str(input: Record<string, unknown>, key: string, optional = false): string {
  const value = input[key];
  if (value === undefined && optional) return '';
  if (typeof value !== 'string') throw new BadInput(`"${key}" must be a string`);
  return value;
}

/** A positive whole number the model may leave out. */
export function count(input: Record<string, unknown>, key: string): number | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new BadInput(`"${key}" must be a whole number of lines, 1 or more`);
  }
  return value as number;
}

/** The lines of `text` that `offset` and `limit` ask for, with a footer saying where. */
export function paged(input: Record<string, unknown>, text: string, more: string): string {
  const offset = count(input, 'offset');
  const limit = count(input, 'limit');
  if (offset === undefined && limit === undefined) return text;
  const page = pageOf(text, offset ?? 1, limit);
  return `${page.text}\n${pageFooter(page, more)}`;
}
