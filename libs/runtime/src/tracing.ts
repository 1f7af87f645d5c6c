// OpenTelemetry traces: exported over OTLP (http/protobuf) when an OTLP endpoint is set,
// nothing but the no-op API otherwise. Started by runService before the service's code.
import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { type Env, env, loadConfig } from './config.js';

export const tracingSettings = {
  endpoint: env.optional('OTEL_EXPORTER_OTLP_ENDPOINT'),
  tracesEndpoint: env.optional('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
  protocol: env.oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', ['http/protobuf'] as const, 'http/protobuf'),
  disabled: env.boolean('OTEL_SDK_DISABLED', false),
  exporter: env.oneOf('OTEL_TRACES_EXPORTER', ['otlp', 'none'] as const, 'otlp'),
};

/** The tracer every CodeFRAME span is started on. */
export const tracer = () => trace.getTracer('codeframe');

let started = false;
/** Whether startTracing registered a provider: without one, per-call and per-message
 * tracing work (the RPC interceptors) is skipped altogether. */
export const tracingEnabled = (): boolean => started;

export interface Tracing {
  /** Whether spans are recorded and exported. */
  readonly enabled: boolean;
  /** Exports what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Registers a tracer provider that exports to OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, with
 * service.name = `service`, and the W3C trace-context propagator. Without an endpoint (or
 * with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none) it registers nothing.
 */
export function startTracing(service: string, source: Env = process.env): Tracing {
  const s = loadConfig(tracingSettings, source);
  if (s.disabled || s.exporter === 'none' || (!s.endpoint && !s.tracesEndpoint)) {
    return { enabled: false, shutdown: async () => {} };
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    // The exporter reads the OTEL_EXPORTER_OTLP_* variables (endpoint, headers, timeout),
    // the processor OTEL_BSP_* (export interval, queue size).
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  started = true;
  return { enabled: true, shutdown: () => provider.shutdown() };
}

/**
 * Runs `fn` inside a new span (a child of the active one, unless `root`), ending it when
 * `fn` settles; a throw marks the span as an error.
 */
export async function inSpan<T>(
  name: string,
  options: { attributes?: Attributes; kind?: SpanKind; root?: boolean },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { attributes: options.attributes, kind: options.kind ?? SpanKind.INTERNAL, root: options.root },
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        failSpan(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks the span as failed with the error. */
export function failSpan(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
  if (err instanceof Error) span.recordException(err);
}

/** The trace and span ids of the active span, for log lines; {} when there is none. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  if (!span || !trace.isSpanContextValid(span.spanContext())) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** The active span's W3C trace-context headers (`traceparent`), for an outgoing request. */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}
