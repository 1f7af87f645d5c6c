import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { derivedTrace } from './tracing.js';

describe('derivedTrace', () => {
  it('derives the same valid ids from the same key, other ids from another', () => {
    const a = derivedTrace('task\0p1\0t1');
    const again = derivedTrace('task\0p1\0t1');
    const other = derivedTrace('task\0p1\0t2');
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect({ traceId: again.traceId, spanId: again.spanId }).toEqual({
      traceId: a.traceId,
      spanId: a.spanId,
    });
    expect(other.traceId).not.toBe(a.traceId);
    // Spans started in its context are children of the root span.
    const parent = trace.getSpanContext(a.context)!;
    expect(trace.isSpanContextValid(parent)).toBe(true);
    expect(parent).toMatchObject({ traceId: a.traceId, spanId: a.spanId });
  });
});
