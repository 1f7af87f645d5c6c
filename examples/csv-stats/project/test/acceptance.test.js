// Runs the installed command the way a user would, on a sample file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/csv-stats.js', import.meta.url));
const sample = fileURLToPath(new URL('./fixtures/cities.csv', import.meta.url));
const run = (...args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('summarizes the sample file', () => {
  const { status, stdout } = run(sample, '--json');
  assert.equal(status, 0);
  const byColumn = Object.fromEntries(JSON.parse(stdout).map((row) => [row.column, row]));
  assert.deepEqual(byColumn.population, {
    column: 'population',
    type: 'number',
    count: 3,
    min: 709037,
    max: 4397073,
    mean: 2618380.3333333335,
    median: 2749031,
  });
  assert.equal(byColumn.area_km2.median, 696);
  assert.deepEqual(byColumn.city, { column: 'city', type: 'text', count: 4, distinct: 4 });
});

test('exits 1 with one sentence for a missing file', () => {
  const { status, stdout, stderr } = run('missing.csv');
  assert.equal(status, 1);
  assert.equal(stdout, '');
  assert.equal(stderr.trim(), 'csv-stats: cannot read missing.csv: ENOENT');
});
