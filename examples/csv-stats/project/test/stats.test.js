import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeColumn, summarize } from '../src/stats.js';

test('summarizes an odd count', () => {
  assert.deepEqual(summarize([3, 1, 2]), { count: 3, min: 1, max: 3, mean: 2, median: 2 });
});

test('takes the mean of the two middle values for an even count', () => {
  assert.equal(summarize([4, 1, 3, 2]).median, 2.5);
});

test('describes numeric columns, skipping empty values, and text columns', () => {
  assert.deepEqual(describeColumn(['1', '', '5']), {
    type: 'number',
    count: 2,
    min: 1,
    max: 5,
    mean: 3,
    median: 3,
  });
  assert.deepEqual(describeColumn(['red', 'blue', 'red', '']), {
    type: 'text',
    count: 3,
    distinct: 2,
  });
  assert.equal(summarize([]), undefined);
});
