import { trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { inSpan, startTracing } from './tracing.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(
    'test',
    { LOG_FORMAT: 'json' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line));
      },
    },
  );
  return { log, lines };
}

describe('log lines and traces', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
  });

  it('carry trace_id and span_id inside a span, and neither outside', async () => {
    const { log, lines } = capture();
    log.info('before');
    await inSpan('outer', {}, async () => {
      log.info('inside');
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.child({ taskId: 't1' }).info('after an await, from a child logger');
    });
    log.info('after');
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('outer');
    const ids = { trace_id: span?.spanContext().traceId, span_id: span?.spanContext().spanId };
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject(ids);
    expect(lines[2]).toMatchObject({ ...ids, taskId: 't1' });
    expect(lines[3]).not.toHaveProperty('trace_id');
    expect(lines[3]).not.toHaveProperty('span_id');
  });
});

describe('startTracing', () => {
  it('registers nothing without an OTLP endpoint', () => {
    expect(startTracing('test', {}).enabled).toBe(false);
    expect(
      startTracing('test', {
        OTEL_SDK_DISABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
      }).enabled,
    ).toBe(false);
  });

  it('refuses a protocol it does not speak, naming the variable', () => {
    expect(() =>
      startTracing('test', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
  });
});
