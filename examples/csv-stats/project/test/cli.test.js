import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../bin/csv-stats.js';

test('prints an aligned table of every column', () => {
  const { status, stdout } = main(['-'], () => 'city,temp\nOslo,3\nRome,15\nLima,\n');
  assert.equal(status, 0);
  const lines = stdout.split('\n');
  assert.match(lines[0], /^column\s+type\s+count\s+min\s+max\s+mean\s+median\s+distinct$/);
  assert.match(lines[2], /^city\s+text\s+3\s+3$/);
  assert.match(lines[3], /^temp\s+number\s+2\s+3\s+15\s+9\s+9$/);
});

test('prints JSON with --json', () => {
  const { stdout } = main(['-', '--json'], () => 'n\n1\n2\n');
  assert.deepEqual(JSON.parse(stdout), [
    { column: 'n', type: 'number', count: 2, min: 1, max: 2, mean: 1.5, median: 1.5 },
  ]);
});

test('says what is wrong with a missing file, a bad CSV or bad arguments', () => {
  assert.deepEqual(main(['nope.csv']), {
    status: 1,
    stderr: 'csv-stats: cannot read nope.csv: ENOENT',
  });
  assert.equal(
    main(['-'], () => 'a,b\n1\n').stderr,
    'csv-stats: -: line 2: expected 2 fields, found 1',
  );
  assert.equal(main([]).status, 2);
});
