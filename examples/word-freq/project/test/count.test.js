import assert from 'node:assert/strict';
import { test } from 'node:test';
import { count, merge, top } from '../src/count.js';

test('counts runs of letters, digits and apostrophes, in any script', () => {
  const counts = count("Don't stop: über 42 über, don't!");
  assert.deepEqual(
    [...counts],
    [
      ["Don't", 1],
      ['stop', 1],
      ['über', 2],
      ['42', 1],
      ["don't", 1],
    ],
  );
});

test('ignores case when asked, and leaves out short words', () => {
  const counts = count('The cat and THE hat', { ignoreCase: true, minLength: 3 });
  assert.deepEqual(
    [...counts],
    [
      ['the', 2],
      ['cat', 1],
      ['and', 1],
      ['hat', 1],
    ],
  );
});

test('ranks by count, ties in alphabetical order', () => {
  const counts = count('pear apple fig apple pear kiwi');
  assert.deepEqual(top(counts, 3), [
    ['apple', 2],
    ['pear', 2],
    ['fig', 1],
  ]);
});

test('merges the counts of several texts', () => {
  assert.deepEqual(
    [...merge(count('a b'), count('b c'))],
    [
      ['a', 1],
      ['b', 2],
      ['c', 1],
    ],
  );
});
