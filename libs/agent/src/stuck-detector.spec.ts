import { describe, expect, it } from 'vitest';
import { StuckDetector, type StuckVerdict, stuckNudge, stuckQuestion } from './stuck-detector.js';

let ids = 0;
/** One turn of calls, each [name, input, result text, is error]. */
function turn(...calls: [string, object, string, boolean?][]) {
  const uses = calls.map(([name, input]) => ({
    type: 'tool_use',
    id: `t${ids++}`,
    name,
    input,
  }));
  const results = calls.map(([, , content, isError], i) => ({
    type: 'tool_result',
    tool_use_id: uses[i]!.id,
    content,
    is_error: isError ?? false,
  }));
  return [uses, results] as const;
}

/** The verdicts of feeding the detector `turns` one by one. */
function run(detector: StuckDetector, turns: ReturnType<typeof turn>[]) {
  return turns.map(([uses, results]) => detector.observe(uses, results));
}

const readA = () => turn(['read_file', { path: 'a.js' }, 'export const a = 1;']);
const readB = () => turn(['read_file', { path: 'b.js' }, 'export const b = 2;']);

describe('StuckDetector', () => {
  it('nudges at the third identical call with the same result and stops at the fifth', () => {
    const verdicts = run(new StuckDetector(), Array.from({ length: 5 }, readA));
    expect(verdicts.map((v) => v?.action)).toEqual([
      undefined,
      undefined,
      'nudge',
      undefined,
      'stop',
    ]);
    expect(verdicts[4]).toMatchObject({
      repeats: 5,
      pattern: 'read_file {"path":"a.js"} repeated 5 times with the same result',
    });
  });

  it('counts a call repeated within one turn, and sees one call whatever its keys order', () => {
    const detector = new StuckDetector();
    const [uses, results] = turn(
      ['grep', { pattern: 'x', path: '.' }, 'none'],
      ['grep', { path: '.', pattern: 'x' }, 'none'],
      ['grep', { pattern: 'x', path: '.' }, 'none'],
    );
    expect(detector.observe(uses, results)).toMatchObject({ action: 'nudge', repeats: 3 });
  });

  it('leaves a repeated call alone when its result changes (a test run after edits)', () => {
    const tests = (n: number) => turn(['run_tests', {}, `FAILED: ${n} passed, 1 failed`, true]);
    const verdicts = run(new StuckDetector(), [1, 2, 3, 4, 5, 6].map(tests));
    expect(verdicts.every((v) => v === undefined)).toBe(true);
  });

  it('stops a ping-pong between two calls with the same results at five pairs', () => {
    const turns = Array.from({ length: 10 }, (_, i) => (i % 2 ? readB() : readA()));
    const verdicts = run(new StuckDetector(), turns);
    // Pairs complete at turns 2, 4, 6, 8, 10: a nudge at the third, the stop at the fifth.
    expect(verdicts.findIndex((v) => v?.action === 'nudge')).toBe(5);
    expect(verdicts.filter((v) => v?.action === 'nudge')).toHaveLength(1);
    expect(verdicts.findIndex((v) => v?.action === 'stop')).toBe(9);
    expect(verdicts[9]?.pattern).toBe(
      'alternating between read_file {"path":"a.js"} and read_file {"path":"b.js"} 5 times with the same results',
    );
  });

  it('stops the same error from different calls', () => {
    const error = 'old_text occurs 0 times in a.js; it must occur exactly once';
    const turns = [1, 2, 3, 4, 5].map((n) =>
      turn(['edit_file', { path: 'a.js', old_text: `v${n}`, new_text: 'w' }, error, true]),
    );
    const verdicts = run(new StuckDetector(), turns);
    expect(verdicts.map((v) => v?.action)).toEqual([
      undefined,
      undefined,
      'nudge',
      undefined,
      'stop',
    ]);
    expect(verdicts[4]?.pattern).toBe(`the same error 5 times in a row: ${error}`);
    // A tool refusing the model's input is the model's to fix, not a person's.
    expect(verdicts[4]?.kind).toBe('error');
  });

  it('tells one error from different commands, which a person may know the way past', () => {
    const error = 'exit 1\nnpm error 403 Forbidden - GET https://registry.npmjs.org/left-pad';
    const command = (c: string): [string, object, string, boolean] => [
      'run_command',
      { command: c },
      error,
      true,
    ];
    const verdicts = run(new StuckDetector(), [
      turn(command('npm install left-pad')),
      turn(command('npm install left-pad@1')),
      turn(command('npm i left-pad --force')),
      turn(command('npm install left-pad@latest')),
      turn(command('npm install --no-audit left-pad')),
    ]);
    expect(verdicts[4]).toMatchObject({ action: 'stop', kind: 'command-error', error });
    // Mixed with a file tool's refusal, the same text is the model's loop again.
    const mixed = run(new StuckDetector(), [
      turn(['read_file', { path: 'x' }, error, true]),
      ...[1, 2, 3, 4].map((n) => turn(command(`try ${n}`))),
    ]);
    expect(mixed[4]).toMatchObject({ action: 'stop', kind: 'error' });
  });

  it('forgets a loop the model left, and nudges it again when it comes back', () => {
    const detector = new StuckDetector();
    const other = () => turn(['list_files', {}, 'a.js\nb.js']);
    const verdicts = run(detector, [readA(), readA(), readA(), other(), readA(), readA()]);
    expect(verdicts.map((v) => v?.action)).toEqual([
      undefined,
      undefined,
      'nudge',
      undefined,
      undefined,
      undefined,
    ]);
    expect(run(detector, [readA()])[0]).toMatchObject({ action: 'nudge', repeats: 3 });
  });

  it('takes its thresholds from the settings, and refuses ones that are not counts', () => {
    const strict = new StuckDetector({ nudgeAfter: 2, stopAfter: 3 });
    expect(run(strict, [readA(), readA(), readA()]).map((v) => v?.action)).toEqual([
      undefined,
      'nudge',
      'stop',
    ]);
    const noNudge = new StuckDetector({ nudgeAfter: 9, stopAfter: 2 });
    expect(run(noNudge, [readA(), readA()]).map((v) => v?.action)).toEqual([undefined, 'stop']);
    expect(() => new StuckDetector({ nudgeAfter: 0, stopAfter: 5 })).toThrow(
      /nudgeAfter must be a whole number ≥ 1, not 0/,
    );
  });

  it('ignores calls without a result (finish) and turns without calls', () => {
    const detector = new StuckDetector();
    const finish = { type: 'tool_use', id: 'f', name: 'finish', input: {} };
    const verdicts = [1, 2, 3, 4, 5].map(() => detector.observe([finish], []));
    expect(verdicts.every((v) => v === undefined)).toBe(true);
  });

  it('tells the model what repeats and when the task stops', () => {
    const verdict: StuckVerdict = {
      action: 'nudge',
      kind: 'repeat',
      pattern: 'x repeated 3 times',
      repeats: 3,
    };
    expect(stuckNudge(verdict, { nudgeAfter: 3, stopAfter: 5 })).toMatch(
      /going in circles: x repeated 3 times[\s\S]*different approach[\s\S]*stopped at 5 repeats/,
    );
  });

  it('asks a person about one error with the error itself, bounded', () => {
    const error = `EACCES: permission denied\n${'x'.repeat(5_000)}`;
    const verdict: StuckVerdict = {
      action: 'stop',
      kind: 'command-error',
      error,
      pattern: 'the same error 5 times in a row: EACCES: permission denied',
      repeats: 5,
    };
    const question = stuckQuestion(verdict);
    expect(question).toMatch(
      /^The task is stuck on the same error 5 times in a row, .*\nEACCES: permission denied\nx+…\nHow should it go on\?/,
    );
    expect(question.length).toBeLessThan(2_300);
  });
});
