// OpenTelemetry traces: exported over OTLP (http/protobuf) when an OTLP endpoint is set,
// nothing but the no-op API otherwise. Started by runService before the service's code.
import { createHash } from 'node:crypto';
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type IdGenerator,
  NodeTracerProvider,
  RandomIdGenerator,
} from '@opentelemetry/sdk-trace-node';
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
    idGenerator: ids,
  });
  provider.register();
  started = true;
  return { enabled: true, shutdown: () => provider.shutdown() };
}

/** Random ids, except for the one span `withIds` starts. */
class DerivableIds implements IdGenerator {
  readonly #random = new RandomIdGenerator();
  next: { traceId: string; spanId: string } | undefined;
  generateTraceId = () => this.next?.traceId ?? this.#random.generateTraceId();
  generateSpanId = () => this.next?.spanId ?? this.#random.generateSpanId();
}
const ids = new DerivableIds();

/** A trace whose ids are derived from `key`: every process that derives them from the same
 * key (a lead after a restart, the lead that took over) continues the same trace. */
export interface DerivedTrace {
  traceId: string;
  /** The id of the trace's root span, the parent of the spans started in `context`. */
  spanId: string;
  /** A context whose parent is the root span: spans started in it are its children. */
  context: Context;
}

export function derivedTrace(key: string): DerivedTrace {
  const hash = createHash('sha256').update(`codeframe trace\0${key}`).digest('hex');
  const traceId = hash.slice(0, 32);
  // Never the all-zero ids, which are invalid (one chance in 2^64).
  const spanId = /^0+$/.test(hash.slice(32, 48)) ? '0000000000000001' : hash.slice(32, 48);
  const parent = { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
  return { traceId, spanId, context: trace.setSpanContext(ROOT_CONTEXT, parent) };
}

/** Records the root span of a derived trace, with its derived ids, from `startTime` to now.
 * Record it once per key (from something the store keeps, like an attempt's number). */
export function recordRootSpan(
  name: string,
  root: DerivedTrace,
  options: { attributes?: Attributes; startTime?: TimeInput },
): void {
  if (!started) return;
  ids.next = { traceId: root.traceId, spanId: root.spanId };
  let span: Span;
  try {
    span = tracer().startSpan(name, { ...options, root: true, kind: SpanKind.INTERNAL });
  } finally {
    ids.next = undefined;
  }
  span.end();
}

/**
 * Runs `fn` inside a new span (a child of the active one or of `parent`, unless `root`), ending it when
 * `fn` settles; a throw marks the span as an error.
 */
export async function inSpan<T>(
  name: string,
  options: { attributes?: Attributes; kind?: SpanKind; root?: boolean; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { attributes: options.attributes, kind: options.kind ?? SpanKind.INTERNAL, root: options.root },
    options.parent ?? context.active(),
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
