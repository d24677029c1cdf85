// Test-only OTLP trace receiver (HTTP protobuf/JSON + gRPC on 127.0.0.1) that decodes every export into plain spans.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  Server as GrpcServer,
  ServerCredentials,
  status as GrpcStatus,
  type Metadata,
  type ServiceDefinition,
  type handleUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export type Transport = 'http/protobuf' | 'http/json' | 'grpc';

/** An OTLP AnyValue as a plain JS value. kvlist becomes an object, bytes a Uint8Array, an empty AnyValue null. */
export type AttributeValue = string | number | boolean | Uint8Array | null | AttributeValue[] | AttributeMap;
export interface AttributeMap {
  [key: string]: AttributeValue;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP enum: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer (= API SpanKind + 1). */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: AttributeMap;
  events: { name: string; timeUnixNano: bigint; attributes: AttributeMap }[];
  links: { traceId: string; spanId: string; attributes: AttributeMap }[];
  /** OTLP enum: 0 unset, 1 ok, 2 error (same numbers as the API's SpanStatusCode). */
  status: { code: number; message?: string };
  resource: AttributeMap;
  scope: { name: string; version?: string };
  transport: Transport;
}

export interface ReceivedRequest {
  /** 'http' when the request never identified itself as OTLP (unknown path or content type). */
  transport: Transport | 'http';
  path: string;
  /** Lower-cased header names (HTTP) or gRPC metadata keys. */
  headers: Record<string, string | string[] | undefined>;
}

export type ReceiverBehavior =
  | { kind: 'ok' }
  /** Answer with this HTTP status (gRPC: RESOURCE_EXHAUSTED for 429, else UNAVAILABLE); spans are not recorded. */
  | { kind: 'status'; code: number; retryAfterSeconds?: number }
  /** Record the spans at once but answer only after `ms`. */
  | { kind: 'delay'; ms: number }
  /** Drop the connection without answering; spans are not recorded. */
  | { kind: 'reset' };

export interface ReceiverOptions {
  behavior?: ReceiverBehavior;
  /** A fixed HTTP port (e.g. 4318, for settings that imply the OTLP port); default: any free port. */
  httpPort?: number;
}

export interface Receiver {
  /** Base URL without path, e.g. http://127.0.0.1:PORT; traces go to `${httpUrl}/v1/traces`. */
  readonly httpUrl: string;
  readonly grpcUrl: string;
  /** Every decoded span in arrival order; the same array object for the receiver's lifetime. */
  readonly spans: ReceivedSpan[];
  /** Every request that reached a server, including rejected and failed ones. */
  readonly requests: ReceivedRequest[];
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  setBehavior(behavior: ReceiverBehavior): void;
  /** Forget recorded spans and requests and go back to { kind: 'ok' }. */
  reset(): void;
  close(): Promise<void>;
}

// The subset of opentelemetry-proto we decode. Field numbers and types are copied from
// opentelemetry/proto/{common/v1/common,resource/v1/resource,trace/v1/trace,collector/trace/v1/trace_service}.proto
// (checked against open-telemetry/opentelemetry-proto main). Packages are flattened into one because
// package names never reach the wire; the gRPC method path is spelled out separately below.
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource {
  repeated KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans {
  Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
  string schema_url = 3;
}
message ScopeSpans {
  InstrumentationScope scope = 1;
  repeated Span spans = 2;
  string schema_url = 3;
}
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;
  enum SpanKind {
    SPAN_KIND_UNSPECIFIED = 0;
    SPAN_KIND_INTERNAL = 1;
    SPAN_KIND_SERVER = 2;
    SPAN_KIND_CLIENT = 3;
    SPAN_KIND_PRODUCER = 4;
    SPAN_KIND_CONSUMER = 5;
  }
  SpanKind kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated KeyValue attributes = 3;
    uint32 dropped_attributes_count = 4;
  }
  repeated Event events = 11;
  uint32 dropped_events_count = 12;
  message Link {
    bytes trace_id = 1;
    bytes span_id = 2;
    string trace_state = 3;
    repeated KeyValue attributes = 4;
    uint32 dropped_attributes_count = 5;
    fixed32 flags = 6;
  }
  repeated Link links = 13;
  uint32 dropped_links_count = 14;
  Status status = 15;
}
message Status {
  reserved 1;
  string message = 2;
  enum StatusCode {
    STATUS_CODE_UNSET = 0;
    STATUS_CODE_OK = 1;
    STATUS_CODE_ERROR = 2;
  }
  StatusCode code = 3;
}
`;

const otlpRoot = protobuf.parse(OTLP_TRACE_PROTO).root;
const ExportTraceServiceRequest = otlpRoot.lookupType('otlp.ExportTraceServiceRequest');
// OTLP/JSON must use enum integers, but accepting the names too costs one lookup.
const SPAN_KIND_BY_NAME = otlpRoot.lookupEnum('otlp.Span.SpanKind').values;
const STATUS_CODE_BY_NAME = otlpRoot.lookupEnum('otlp.Status.StatusCode').values;

const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

// ---------------------------------------------------------------------------------------------
// Normalization. Both encodings arrive here in the OTLP/JSON object shape (lowerCamelCase names):
// JSON as parsed, protobuf via protobufjs toObject. What differs is only how values are spelled,
// hence the unions below.

/** Trace/span ids: hex in OTLP/JSON, raw bytes in protobuf. bytesValue: base64 in JSON, raw in protobuf. */
type WireBytes = string | Uint8Array;
/** 64-bit ints: decimal strings (protobuf via toObject, JSON per spec) or numbers (the JS JSON exporter). */
type WireInt64 = string | number;

interface WireKeyValue {
  key?: string;
  value?: WireAnyValue | null;
}
interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: WireInt64;
  doubleValue?: number | string;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: WireBytes;
}
interface WireSpan {
  traceId?: WireBytes;
  spanId?: WireBytes;
  parentSpanId?: WireBytes;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: WireInt64;
  endTimeUnixNano?: WireInt64;
  attributes?: WireKeyValue[];
  events?: { name?: string; timeUnixNano?: WireInt64; attributes?: WireKeyValue[] }[];
  links?: { traceId?: WireBytes; spanId?: WireBytes; attributes?: WireKeyValue[] }[];
  status?: { code?: number | string; message?: string };
}
interface WireTracesData {
  resourceSpans?: {
    resource?: { attributes?: WireKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: WireSpan[] }[];
  }[];
}

function toHexId(id: WireBytes | undefined): string {
  if (id === undefined) return '';
  return typeof id === 'string' ? id.toLowerCase() : Buffer.from(id).toString('hex');
}

function toBytes(value: WireBytes): Uint8Array {
  // Copy into a plain Uint8Array so both encodings compare equal (protobufjs hands out Buffers).
  return new Uint8Array(typeof value === 'string' ? Buffer.from(value, 'base64') : value);
}

function toEnum(value: number | string | undefined, byName: Record<string, number>): number {
  if (typeof value === 'string') return byName[value] ?? Number(value);
  return value ?? 0;
}

function toAttributeValue(value: WireAnyValue | null | undefined): AttributeValue {
  if (!value) return null;
  // Test each oneof member for presence, not truthiness: false, 0 and '' are real values.
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return value.boolValue;
  // int64 is surfaced as a JS number; values beyond 2^53 lose precision, which tests don't need.
  if (value.intValue != null) return Number(value.intValue);
  // Number() also understands the proto3 JSON spellings "NaN", "Infinity" and "-Infinity".
  if (value.doubleValue != null) return Number(value.doubleValue);
  if (value.arrayValue != null) return (value.arrayValue.values ?? []).map(toAttributeValue);
  if (value.kvlistValue != null) return toAttributeMap(value.kvlistValue.values);
  if (value.bytesValue != null) return toBytes(value.bytesValue);
  return null;
}

function toAttributeMap(keyValues: WireKeyValue[] | undefined): AttributeMap {
  const map: AttributeMap = {};
  for (const kv of keyValues ?? []) map[kv.key ?? ''] = toAttributeValue(kv.value);
  return map;
}

function toNanos(value: WireInt64 | undefined): bigint {
  return BigInt(value ?? 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Flatten an OTLP/JSON TracesData / ExportTraceServiceRequest object (e.g. one line of a JSON-Lines
 * trace file) into ReceivedSpans, in resource → scope → span order.
 */
export function normalizeTracesData(data: unknown, transport: Transport): ReceivedSpan[] {
  if (!isRecord(data) || (data.resourceSpans !== undefined && !Array.isArray(data.resourceSpans))) {
    throw new TypeError('not an OTLP TracesData object: expected { resourceSpans: [...] }');
  }
  // Only the outer shape is checked; inner fields are read defensively with defaults.
  const traces = data as WireTracesData;
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of traces.resourceSpans ?? []) {
    const resource = toAttributeMap(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version || undefined };
      for (const span of scopeSpans.spans ?? []) {
        out.push({
          traceId: toHexId(span.traceId),
          spanId: toHexId(span.spanId),
          // Root spans carry no parent at all (protobuf) or an empty string (some JSON writers).
          parentSpanId: toHexId(span.parentSpanId) || undefined,
          name: span.name ?? '',
          kind: toEnum(span.kind, SPAN_KIND_BY_NAME),
          startTimeUnixNano: toNanos(span.startTimeUnixNano),
          endTimeUnixNano: toNanos(span.endTimeUnixNano),
          attributes: toAttributeMap(span.attributes),
          events: (span.events ?? []).map((event) => ({
            name: event.name ?? '',
            timeUnixNano: toNanos(event.timeUnixNano),
            attributes: toAttributeMap(event.attributes),
          })),
          links: (span.links ?? []).map((link) => ({
            traceId: toHexId(link.traceId),
            spanId: toHexId(link.spanId),
            attributes: toAttributeMap(link.attributes),
          })),
          status: {
            code: toEnum(span.status?.code, STATUS_CODE_BY_NAME),
            message: span.status?.message || undefined,
          },
          resource,
          scope,
          transport,
        });
      }
    }
  }
  return out;
}

/** Decode protobuf ExportTraceServiceRequest bytes (HTTP body or gRPC message) into ReceivedSpans. */
export function decodeExportTraceServiceRequest(
  buf: Uint8Array,
  transport: Transport = 'http/protobuf',
): ReceivedSpan[] {
  const message = ExportTraceServiceRequest.decode(buf);
  // longs: String keeps full 64-bit precision for nanosecond timestamps (they exceed 2^53);
  // bytes stay Uint8Array so ids can be hex-encoded and bytesValue passed through.
  const plain = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number });
  return normalizeTracesData(plain, transport);
}

// ---------------------------------------------------------------------------------------------
// Servers.

interface Waiter {
  check(): void;
  fail(error: unknown): void;
}

function describeSpans(spans: ReceivedSpan[]): string {
  if (spans.length === 0) return 'no spans';
  return `${spans.length} span(s): ${spans.map((s) => `"${s.name}" (${s.transport})`).join(', ')}`;
}

function httpTransportOf(contentType: string | undefined): Transport | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf') return 'http/protobuf';
  if (mediaType === 'application/json') return 'http/json';
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function grpcHeaders(metadata: Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    // Binary (-bin) metadata arrives as Buffers; base64 keeps the record printable.
    headers[key] = typeof value === 'string' ? value : value.toString('base64');
  }
  return headers;
}

class OtlpReceiver implements Receiver {
  httpUrl = '';
  grpcUrl = '';
  readonly spans: ReceivedSpan[] = [];
  readonly requests: ReceivedRequest[] = [];

  private behavior: ReceiverBehavior;
  private readonly waiters = new Set<Waiter>();
  private readonly delayTimers = new Set<NodeJS.Timeout>();
  private readonly httpServer = createServer((req, res) => {
    this.handleHttp(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  private readonly grpcServer = new GrpcServer();
  private grpcAddress = '';

  constructor(behavior: ReceiverBehavior) {
    this.behavior = behavior;
  }

  async listen(httpPort = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(httpPort, '127.0.0.1', resolve);
    });
    this.httpUrl = `http://127.0.0.1:${(this.httpServer.address() as AddressInfo).port}`;

    const service: ServiceDefinition = {
      export: {
        path: GRPC_EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        // Pass raw bytes through; the handler decodes with the same protobufjs schema as HTTP.
        requestSerialize: (message: Buffer) => message,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (message: Buffer) => message,
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    };
    const handleExport: handleUnaryCall<Buffer, Buffer> = (call, callback) =>
      this.handleGrpc(call.request, call.metadata, callback);
    this.grpcServer.addService(service, { export: handleExport });
    const port = await new Promise<number>((resolve, reject) => {
      this.grpcServer.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      );
    });
    this.grpcAddress = `127.0.0.1:${port}`;
    this.grpcUrl = `http://${this.grpcAddress}`;
  }

  setBehavior(behavior: ReceiverBehavior): void {
    this.behavior = behavior;
  }

  reset(): void {
    // Truncate in place so callers holding `receiver.spans` keep a live view.
    this.spans.length = 0;
    this.requests.length = 0;
    this.behavior = { kind: 'ok' };
  }

  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
    return new Promise<ReceivedSpan[]>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        check: () => {
          if (!predicate(this.spans)) return;
          settle();
          resolve([...this.spans]);
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.fail(
          new Error(
            `waitForSpans: predicate still false after ${timeoutMs}ms; received ${describeSpans(this.spans)} ` +
              `in ${this.requests.length} request(s)`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
      this.checkWaiter(waiter);
    });
  }

  async close(): Promise<void> {
    for (const waiter of this.waiters) waiter.fail(new Error('receiver closed while waiting for spans'));
    for (const timer of this.delayTimers) clearTimeout(timer);
    this.delayTimers.clear();
    // Exporters keep connections alive; without this close() would wait for their idle timeout.
    this.httpServer.closeAllConnections();
    await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    this.grpcServer.forceShutdown();
  }

  private checkWaiter(waiter: Waiter): void {
    try {
      waiter.check();
    } catch (error) {
      // A throwing predicate is a bug in the test; surface it instead of timing out.
      waiter.fail(error);
    }
  }

  private record(spans: ReceivedSpan[]): void {
    this.spans.push(...spans);
    for (const waiter of [...this.waiters]) this.checkWaiter(waiter);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.delayTimers.delete(timer);
        resolve();
      }, ms);
      this.delayTimers.add(timer);
    });
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.httpUrl).pathname;
    const transport = httpTransportOf(req.headers['content-type']);
    this.requests.push({ transport: transport ?? 'http', path, headers: { ...req.headers } });
    // Snapshot: a setBehavior() while this request is in flight must not split it across two modes.
    const behavior = this.behavior;

    if (path !== '/v1/traces') return void res.writeHead(404).end();
    if (req.method !== 'POST') return void res.writeHead(405, { Allow: 'POST' }).end();
    if (!transport) return void res.writeHead(415).end('expected application/x-protobuf or application/json');
    if (behavior.kind === 'reset') return void req.socket.destroy();

    const body = await readBody(req);
    if (behavior.kind === 'status') {
      const { code, retryAfterSeconds } = behavior;
      const headers = retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
      return void res.writeHead(code, headers).end();
    }

    let spans: ReceivedSpan[];
    try {
      spans = decodeHttpBody(body, req.headers, transport);
    } catch (error) {
      return void res.writeHead(400).end(`cannot decode OTLP ${transport} body: ${String(error)}`);
    }
    this.record(spans);
    if (behavior.kind === 'delay') await this.delay(behavior.ms);
    // An empty ExportTraceServiceResponse: zero bytes in protobuf, {} in JSON.
    if (transport === 'http/json') res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
  }

  private handleGrpc(request: Buffer, metadata: Metadata, callback: sendUnaryData<Buffer>): void {
    this.requests.push({ transport: 'grpc', path: GRPC_EXPORT_PATH, headers: grpcHeaders(metadata) });
    const behavior = this.behavior;

    if (behavior.kind === 'reset') {
      // grpc-js hides the socket; draining with zero grace destroys every HTTP/2 session on the port
      // (RST/GOAWAY) while the server keeps listening. The call is deliberately never answered.
      this.grpcServer.drain(this.grpcAddress, 0);
      return;
    }
    if (behavior.kind === 'status') {
      // The OTLP spec's gRPC equivalents of HTTP throttling (429) and unavailability (everything else here).
      const code = behavior.code === 429 ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.UNAVAILABLE;
      return callback({ code, details: `receiver configured to fail (HTTP ${behavior.code})` });
    }

    let spans: ReceivedSpan[];
    try {
      spans = decodeExportTraceServiceRequest(request, 'grpc');
    } catch (error) {
      const details = `cannot decode ExportTraceServiceRequest: ${String(error)}`;
      return callback({ code: GrpcStatus.INVALID_ARGUMENT, details });
    }
    this.record(spans);
    const answer = (): void => callback(null, Buffer.alloc(0));
    if (behavior.kind === 'delay') void this.delay(behavior.ms).then(answer);
    else answer();
  }
}

function decodeHttpBody(body: Buffer, headers: IncomingHttpHeaders, transport: Transport): ReceivedSpan[] {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'gzip' && encoding !== 'identity') {
    throw new Error(`unsupported Content-Encoding ${encoding}`);
  }
  const raw = encoding === 'gzip' ? gunzipSync(body) : body;
  return transport === 'http/json'
    ? normalizeTracesData(JSON.parse(raw.toString('utf8')), transport)
    : decodeExportTraceServiceRequest(raw, transport);
}

/** Start HTTP and gRPC OTLP trace receivers on 127.0.0.1 with OS-assigned ports. */
export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const receiver = new OtlpReceiver(opts.behavior ?? { kind: 'ok' });
  await receiver.listen(opts.httpPort);
  return receiver;
}
