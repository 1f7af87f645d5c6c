import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../bin/word-freq.js';

test('prints count and word, the most frequent first', () => {
  const { status, stdout } = main(['-'], () => 'b a b c b a');
  assert.equal(status, 0);
  assert.deepEqual(stdout.split('\n'), ['     3 b', '     2 a', '     1 c']);
});

test('takes --top, --min-length and --ignore-case, parsed by minimist', () => {
  const text = 'The cat saw THE dog and the cat';
  const { stdout } = main(['--top', '2', '--min-length=3', '--ignore-case', '-'], () => text);
  assert.deepEqual(stdout.split('\n'), ['     3 the', '     2 cat']);
});

test('says what is wrong with a missing file, a bad number or no file', () => {
  assert.deepEqual(main(['nope.txt']), {
    status: 1,
    stderr: 'word-freq: cannot read nope.txt: ENOENT',
  });
  assert.equal(
    main(['--top', 'many', '-'], () => '').stderr,
    'word-freq: --top must be a whole number above 0, not "many"',
  );
  assert.equal(main([]).status, 2);
});
