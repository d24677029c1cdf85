// Where replay sends spans: batches of OTLP/JSON documents as read (http/json), or rebuilt ReadableSpans encoded by upstream (http/protobuf, grpc).
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { OtlpExporterConfig } from '../../config';
import { createOtlpSender, type OtlpSender } from '../../export/otlp-send';
import { ReadableSpanConverter, spansOf, type OtlpResourceSpans, type OtlpTracesData } from '../../trace-file/reader';

export interface ReplayTarget {
  /** Takes the good spans of one document; calls `onBadSpan` for each span it cannot take. Returns how many it took. */
  add(doc: OtlpTracesData, onBadSpan: (index: number, message: string) => void): number;
  /** Spans added and not yet sent. */
  pending(): number;
  /** Sends the pending spans; resolves with the error, or undefined when the endpoint took them. */
  flush(): Promise<string | undefined>;
  close(): Promise<void>;
}

export function createTarget(config: OtlpExporterConfig): ReplayTarget {
  return config.protocol === 'http/json' ? new JsonDocumentTarget(config) : new ReadableSpanTarget(config);
}

/**
 * http/protobuf and gRPC: spans rebuilt as SDK ReadableSpans, encoded with the upstream serializer and
 * sent with the upstream transport. No OTLP encoding of our own.
 */
class ReadableSpanTarget implements ReplayTarget {
  private readonly converter = new ReadableSpanConverter();
  private spans: ReadableSpan[] = [];
  private readonly sender: RawSender;

  constructor(config: OtlpExporterConfig) {
    this.sender = new RawSender(config);
  }

  add(doc: OtlpTracesData, onBadSpan: (index: number, message: string) => void): number {
    let index = 0;
    let taken = 0;
    for (const record of spansOf(doc)) {
      try {
        this.spans.push(this.converter.convert(record));
        taken++;
      } catch (err) {
        onBadSpan(index, (err as Error).message);
      }
      index++;
    }
    return taken;
  }

  pending(): number {
    return this.spans.length;
  }

  async flush(): Promise<string | undefined> {
    const spans = this.spans;
    this.spans = [];
    if (spans.length === 0) return undefined;
    const { ProtobufTraceEncoder } = require('../../export/otlp-trace-encoder') as typeof import('../../export/otlp-trace-encoder');
    const body = ProtobufTraceEncoder.serializeRequest(spans);
    return body ? this.sender.send(body) : 'the spans could not be encoded';
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}

/**
 * http/json: the documents are already OTLP/JSON, so they are posted as read (several merged into
 * one request), with bad spans taken out. They go through the agent's export worker, so the
 * transport (retries, headers, gzip, TLS) is upstream's as for the other protocols.
 */
class JsonDocumentTarget implements ReplayTarget {
  // Used only to check that each span is well-formed (ids, timestamps) before it is sent.
  private readonly validator = new ReadableSpanConverter();
  private resourceSpans: OtlpResourceSpans[] = [];
  private count = 0;
  private readonly sender: RawSender;

  constructor(config: OtlpExporterConfig) {
    this.sender = new RawSender(config);
  }

  add(doc: OtlpTracesData, onBadSpan: (index: number, message: string) => void): number {
    const bad = new Set<object>();
    let index = 0;
    for (const record of spansOf(doc)) {
      try {
        this.validator.convert(record);
      } catch (err) {
        bad.add(record.span);
        onBadSpan(index, (err as Error).message);
      }
      index++;
    }
    let taken = 0;
    for (const rs of doc.resourceSpans) {
      if (typeof rs !== 'object' || rs === null) continue;
      const scopeSpans = (Array.isArray(rs.scopeSpans) ? rs.scopeSpans : [])
        .filter((ss) => typeof ss === 'object' && ss !== null)
        .map((ss) => ({ ...ss, spans: (Array.isArray(ss.spans) ? ss.spans : []).filter((s) => typeof s === 'object' && s !== null && !bad.has(s)) }))
        .filter((ss) => ss.spans.length > 0);
      if (scopeSpans.length === 0) continue;
      this.resourceSpans.push({ ...rs, scopeSpans });
      taken += scopeSpans.reduce((n, ss) => n + ss.spans.length, 0);
    }
    this.count += taken;
    return taken;
  }

  pending(): number {
    return this.count;
  }

  async flush(): Promise<string | undefined> {
    const resourceSpans = this.resourceSpans;
    this.resourceSpans = [];
    this.count = 0;
    if (resourceSpans.length === 0) return undefined;
    return this.sender.send(Buffer.from(JSON.stringify({ resourceSpans })));
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}

/**
 * Sends ready-made request bodies with the agent's sender (upstream transport), in this thread: the
 * CLI waits for every answer anyway.
 */
class RawSender {
  private sender?: OtlpSender;

  constructor(private readonly config: OtlpExporterConfig) {}

  send(body: Uint8Array): Promise<string | undefined> {
    this.sender ??= createOtlpSender(this.config);
    const sender = this.sender;
    return new Promise((resolve) => {
      try {
        sender.export(body, ({ code, error }) => resolve(code === 0 ? undefined : (error?.message ?? 'export failed')));
      } catch (err) {
        resolve(err instanceof Error ? err.message : String(err));
      }
    });
  }

  async close(): Promise<void> {
    const sender = this.sender;
    this.sender = undefined;
    await sender?.shutdown();
  }
}
