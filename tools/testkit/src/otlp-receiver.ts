// A tiny OTLP/HTTP trace receiver for tests: accepts http/protobuf exports on
// POST /v1/traces and keeps the spans, each with its resource's service.name.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BinaryReader } from '@bufbuild/protobuf/wire';

/** A received span; ids in lowercase hex, parentSpanId '' for a root. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      try {
        spans.push(...decodeExportRequest(Buffer.concat(chunks)));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end((err as Error).message);
        return;
      }
      // An empty ExportTraceServiceResponse: everything accepted.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Calls `field` for each field of the message in `bytes`; fields it ignores are skipped. */
function eachField(
  bytes: Uint8Array,
  field: (no: number, reader: BinaryReader) => boolean | undefined,
): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (!field(no, reader)) reader.skip(wireType, no);
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function keyValue(bytes: Uint8Array): [string, string | number | boolean] {
  let key = '';
  let value: string | number | boolean = '';
  eachField(bytes, (no, r) => {
    if (no === 1) key = r.string();
    else if (no === 2)
      eachField(r.bytes(), (vno, v) => {
        if (vno === 1) value = v.string();
        else if (vno === 2) value = v.bool();
        else if (vno === 3) value = Number(v.int64());
        else if (vno === 4) value = v.double();
        else return false;
        return true;
      });
    else return false;
    return true;
  });
  return [key, value];
}

/** ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) to spans. */
export function decodeExportRequest(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  eachField(body, (no, r) => {
    if (no !== 1) return false;
    // ResourceSpans: 1 resource, 2 scope_spans
    let service = '';
    const scopes: Uint8Array[] = [];
    eachField(r.bytes(), (rno, rs) => {
      if (rno === 1)
        eachField(rs.bytes(), (ano, a) => {
          if (ano !== 1) return false;
          const [key, value] = keyValue(a.bytes());
          if (key === 'service.name') service = String(value);
          return true;
        });
      else if (rno === 2) scopes.push(rs.bytes());
      else return false;
      return true;
    });
    for (const scope of scopes)
      eachField(scope, (sno, s) => {
        if (sno !== 2) return false;
        const span: ReceivedSpan = {
          service,
          traceId: '',
          spanId: '',
          parentSpanId: '',
          name: '',
          kind: 0,
          attributes: {},
        };
        eachField(s.bytes(), (fno, f) => {
          if (fno === 1) span.traceId = hex(f.bytes());
          else if (fno === 2) span.spanId = hex(f.bytes());
          else if (fno === 4) span.parentSpanId = hex(f.bytes());
          else if (fno === 5) span.name = f.string();
          else if (fno === 6) span.kind = f.int32();
          else if (fno === 9) {
            const [key, value] = keyValue(f.bytes());
            span.attributes[key] = value;
          } else return false;
          return true;
        });
        spans.push(span);
        return true;
      });
    return true;
  });
  return spans;
}
