import { describe, expect, it } from 'vitest';
import { CommitWindow } from './commit-window.js';

/** An append that commits when told to. */
function append() {
  let commit!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    commit = resolve;
    fail = reject;
  });
  return { promise, commit, fail };
}

describe('CommitWindow', () => {
  it('lets the reader go on while appends commit, and holds it once the window is full', async () => {
    const window = new CommitWindow(3);
    const appends = [append(), append(), append()];
    await window.add(appends[0]!.promise);
    await window.add(appends[1]!.promise);
    let third = false;
    const full = window.add(appends[2]!.promise).then(() => {
      third = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(false);
    for (const a of appends) a.commit();
    await full;
    expect(third).toBe(true);
  });

  it('holds the reader while the watchers ask it to wait', async () => {
    let resume!: () => void;
    let pacing: Promise<void> | undefined = new Promise((resolve) => {
      resume = resolve;
    });
    const window = new CommitWindow(10, () => pacing);
    let added = false;
    const adding = window.add(append().promise).then(() => {
      added = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(added).toBe(false);
    pacing = undefined;
    resume();
    await adding;
    expect(added).toBe(true);
  });

  it('throws the failure of an append when settled, never as an unhandled rejection', async () => {
    const window = new CommitWindow(10);
    const a = append();
    await window.add(a.promise);
    a.fail(new Error('disk full'));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(window.settle()).rejects.toThrow('disk full');
    // Settled once, the window is empty again.
    await expect(window.settle()).resolves.toBeUndefined();
  });
});
