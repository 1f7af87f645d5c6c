import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvError, parseCsv, parseRows } from '../src/csv.js';

test('parses plain rows with LF and CRLF, with or without a trailing newline', () => {
  assert.deepEqual(parseRows('a,b\n1,2\n'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.deepEqual(parseRows('a,b\r\n1,2'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
});

test('keeps commas, newlines and doubled quotes inside quoted fields', () => {
  assert.deepEqual(parseRows('name,note\n"Lovelace, Ada","said ""hi""\nthen left"\n'), [
    ['name', 'note'],
    ['Lovelace, Ada', 'said "hi"\nthen left'],
  ]);
});

test('gives records as objects keyed by the header', () => {
  assert.deepEqual(parseCsv('x,y\n1,\n'), { columns: ['x', 'y'], records: [{ x: '1', y: '' }] });
});

test('names the line of a row with the wrong width, and refuses an open quote', () => {
  assert.throws(() => parseCsv('a,b\n1,2\n3\n'), /line 3: expected 2 fields, found 1/);
  assert.throws(() => parseCsv('a\n"open\n'), CsvError);
  assert.throws(() => parseCsv(''), /empty/);
});
