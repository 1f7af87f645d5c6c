import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { Capacity } from './index.js';

describe('Capacity', () => {
  it('counts load and refuses beyond the limit with RESOURCE_EXHAUSTED', () => {
    const capacity = new Capacity(2);
    const first = capacity.acquire();
    capacity.acquire();
    expect(capacity.load).toBe(2);
    let refused: ConnectError | undefined;
    try {
      capacity.acquire();
    } catch (err) {
      refused = ConnectError.from(err);
    }
    expect(refused?.code).toBe(Code.ResourceExhausted);
    expect(refused?.rawMessage).toMatch(/at capacity \(2 tasks running\)/);
    first();
    first(); // releasing twice gives back one slot only
    expect(capacity.load).toBe(1);
    capacity.acquire();
    expect(capacity.load).toBe(2);
  });
});
