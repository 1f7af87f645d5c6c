#!/usr/bin/env node
// csv-stats <file.csv | -> [--json]: summary statistics of each column.
import { readFileSync } from 'node:fs';
import { CsvError, parseCsv } from '../src/csv.js';
import { describeColumn } from '../src/stats.js';

const USAGE = 'usage: csv-stats <file.csv | -> [--json]';

function describe(text) {
  const { columns, records } = parseCsv(text);
  return columns.map((name) => ({ column: name, ...describeColumn(records.map((r) => r[name])) }));
}

const round = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

function table(rows) {
  const header = ['column', 'type', 'count', 'min', 'max', 'mean', 'median', 'distinct'];
  const cells = rows.map((row) =>
    header.map((key) =>
      row[key] === undefined ? '' : typeof row[key] === 'number' ? round(row[key]) : row[key],
    ),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function main(args, stdin = () => readFileSync(0, 'utf8')) {
  const files = args.filter((a) => a !== '--json');
  if (files.length !== 1) return { status: 2, stderr: USAGE };
  let text;
  try {
    text = files[0] === '-' ? stdin() : readFileSync(files[0], 'utf8');
  } catch (error) {
    return {
      status: 1,
      stderr: `csv-stats: cannot read ${files[0]}: ${error.code ?? error.message}`,
    };
  }
  try {
    const rows = describe(text);
    return {
      status: 0,
      stdout: args.includes('--json') ? JSON.stringify(rows, null, 2) : table(rows),
    };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return { status: 1, stderr: `csv-stats: ${files[0]}: ${error.message}` };
  }
}

if (process.argv[1] && new URL(`file://${process.argv[1]}`).href === import.meta.url) {
  const result = main(process.argv.slice(2));
  if (result.stdout) console.log(result.stdout);
  if (result.stderr) console.error(result.stderr);
  process.exitCode = result.status;
}
