import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/word-freq.js', import.meta.url));
const sample = fileURLToPath(new URL('./fixtures/sample.txt', import.meta.url));

test('ranks the words of a sample text, as a user runs it', () => {
  const out = execFileSync(process.execPath, [bin, '--top', '4', '--ignore-case', sample], {
    encoding: 'utf8',
  });
  assert.equal(out, '     8 it\n     8 of\n     8 the\n     8 was\n');
});

test('leaves out short words and reads standard input', () => {
  const out = execFileSync(process.execPath, [bin, '--top', '2', '--min-length', '5', '-'], {
    input: 'times times season light season season',
    encoding: 'utf8',
  });
  assert.equal(out, '     3 season\n     2 times\n');
});

test('fails with one sentence for a missing file', () => {
  const run = spawnSync(process.execPath, [bin, 'missing.txt'], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.equal(run.stderr, 'word-freq: cannot read missing.txt: ENOENT\n');
});
