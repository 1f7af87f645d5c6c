import diagnostics from 'node:diagnostics_channel';
import { isMainThread } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { type LaunchedProcess, launch, SPAWN_CHANNEL } from './process-launcher.js';

// The launcher against real processes, from its thread and (CODEFRAME_SPAWN_THREAD=off) from
// this one: output in order and complete by `close`, a kill of the whole group, a kill asked
// before the child started, a program that does not exist.

interface Ended {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  error?: string;
}

function ended(child: LaunchedProcess): Promise<Ended> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  let error: string | undefined;
  child.on('error', (e: Error) => {
    error = e.message;
  });
  return new Promise((resolve) =>
    child.on('close', (code: number | null, signal: string | null) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ...(error ? { error } : {}),
      }),
    ),
  );
}

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

afterEach(() => {
  delete process.env.CODEFRAME_SPAWN_THREAD;
});

describe.each(['thread', 'off'])('launch (spawn thread %s)', (mode) => {
  const start = (file: string, args: string[], fd3 = false) => {
    if (mode === 'off') process.env.CODEFRAME_SPAWN_THREAD = 'off';
    return launch(file, args, { env, fd3 });
  };

  it('delivers all of stdout and stderr before close, with the exit code', async () => {
    const big = 300_000;
    const child = start('/bin/sh', [
      '-c',
      `head -c ${big} /dev/zero | tr '\\0' a; echo oops >&2; exit 3`,
    ]);
    const result = await ended(child);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('a'.repeat(big));
    expect(result.stderr).toBe('oops\n');
  });

  it('reads fd 3 as text when asked', async () => {
    const child = start('/bin/sh', ['-c', 'echo one >&3; echo two >&3'], true);
    const lines: string[] = [];
    child.status!.setEncoding('utf8');
    child.status!.on('data', (text: string) => lines.push(text));
    await ended(child);
    expect(lines.join('')).toBe('one\ntwo\n');
  });

  it('kills the whole group, grandchildren too, even when asked before the child started', async () => {
    const child = start('/bin/sh', ['-c', 'sleep 30 & sleep 30; echo never']);
    child.killGroup('SIGKILL');
    const result = await ended(child);
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toBe('');
  });

  it('says so when the program does not exist, and still closes', async () => {
    const result = await ended(start('/nonexistent/program', []));
    expect(result.error).toMatch(/ENOENT/);
  });

  it('publishes each child it started on the spawn channel', async () => {
    const seen: { file: string; thread: boolean }[] = [];
    const listen = (message: unknown) => seen.push(message as { file: string; thread: boolean });
    diagnostics.subscribe(SPAWN_CHANNEL, listen);
    try {
      await ended(start('/bin/true', []));
    } finally {
      diagnostics.unsubscribe(SPAWN_CHANNEL, listen);
    }
    expect(seen).toEqual([
      expect.objectContaining({ file: '/bin/true', thread: mode === 'thread' }),
    ]);
    expect(isMainThread).toBe(true);
  });
});
