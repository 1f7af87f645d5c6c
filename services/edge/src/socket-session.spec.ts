import { describe, expect, it } from 'vitest';
import { EdgeMetrics } from './edge-metrics.js';
import { SocketSession } from './socket-session.js';

const session = (refusalLimit = 3) =>
  new SocketSession(
    1,
    { subject: 't', projects: '*' },
    { metrics: new EdgeMetrics(), pauseBytes: 1024, refusalLimit },
  );

describe('SocketSession', () => {
  it('counts malformed frames across calls, though it makes the count only on the first', () => {
    const s = session();
    const now = Date.now();
    for (let i = 0; i < 20; i++) expect(s.malformed.add(now)).toBe(false);
    expect(s.malformed.add(now)).toBe(true);
  });

  it('counts refusals against the limit it was given', () => {
    const s = session(2);
    const now = Date.now();
    expect(s.refusals.add(now)).toBe(false);
    expect(s.refusals.add(now)).toBe(false);
    expect(s.refusals.add(now)).toBe(true);
    expect(session(2).refusals.add(now)).toBe(false);
  });

  it('resolves what waits for a drain once the socket closes', async () => {
    const s = session();
    let buffered = 4096;
    s.attach({ getBufferedAmount: () => buffered } as never);
    const waits = [s.drained(), s.drained()];
    let resolved = 0;
    for (const wait of waits) void wait.then(() => resolved++);
    s.onDrain();
    await Promise.resolve();
    expect(resolved).toBe(0);
    buffered = 0;
    s.onDrain();
    await Promise.all(waits);
    expect(resolved).toBe(2);
    const s2 = session();
    s2.attach({ getBufferedAmount: () => 4096 } as never);
    const closing = s2.drained();
    s2.markClosed();
    await closing;
  });
});
