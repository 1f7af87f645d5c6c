import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { connectionLost } from './task-dispatch.js';

describe('a broken worker stream', () => {
  it('takes the worker out of rotation only when the connection failed', () => {
    // A worker killed mid-stream resets it (CANCELLED); then it refuses connections.
    for (const code of [Code.Canceled, Code.Unavailable, Code.Unknown, Code.DeadlineExceeded]) {
      expect(connectionLost(new ConnectError('x', code)), Code[code]).toBe(true);
    }
    // The worker answered: the task failed, the worker is fine.
    for (const code of [Code.Internal, Code.ResourceExhausted]) {
      expect(connectionLost(new ConnectError('x', code)), Code[code]).toBe(false);
    }
    expect(connectionLost(undefined)).toBe(false);
  });
});
