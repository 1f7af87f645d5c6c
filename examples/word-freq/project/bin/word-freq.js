#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import minimist from 'minimist';
import { count, merge, top } from '../src/count.js';

const USAGE = 'usage: word-freq [--top N] [--min-length N] [--ignore-case] <file | -> ...';

function number(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a whole number above 0, not "${value}"`);
  return n;
}

/** Runs the command; returns its exit status and output instead of touching the process. */
export function main(argv, readStdin = () => readFileSync(0, 'utf8')) {
  const args = minimist(argv, {
    boolean: ['ignore-case', 'help'],
    string: ['top', 'min-length'],
    default: { top: '10', 'min-length': '1' },
  });
  if (args.help) return { status: 0, stdout: USAGE };
  const files = args._.map(String);
  if (files.length === 0) return { status: 2, stderr: USAGE };
  try {
    const options = {
      ignoreCase: args['ignore-case'],
      minLength: number(args['min-length'], 'min-length'),
    };
    const n = number(args.top, 'top');
    const counts = new Map();
    for (const file of files) {
      let text;
      try {
        text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${file}: ${err.code ?? err.message}`);
      }
      merge(counts, count(text, options));
    }
    const lines = top(counts, n).map(([word, times]) => `${String(times).padStart(6)} ${word}`);
    return { status: 0, stdout: lines.join('\n') };
  } catch (err) {
    return { status: 1, stderr: `word-freq: ${err.message}` };
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { status, stdout, stderr } = main(process.argv.slice(2));
  if (stdout) process.stdout.write(`${stdout}\n`);
  if (stderr) process.stderr.write(`${stderr}\n`);
  process.exitCode = status;
}
