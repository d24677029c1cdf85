// A tiny OTLP/HTTP trace sink on 127.0.0.1: counts the spans it receives, per run, and answers 200 at once.
// Each benchmarked process gets its own base path (OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port>/<run>),
// so a run's count cannot include another run's late exports. mode 'hang' accepts requests and never answers.
import { createRequire } from 'node:module';
import http from 'node:http';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');

// ExportTraceServiceRequest -> ResourceSpans (field 1) -> ScopeSpans (field 2) -> Span (field 2), kept as
// bytes: counting spans needs no more. protobufjs skips the fields the schema does not name.
const root = protobuf.Root.fromJSON({
  nested: {
    ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } } },
    ResourceSpans: { fields: { scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 } } },
    ScopeSpans: { fields: { spans: { rule: 'repeated', type: 'bytes', id: 2 } } },
  },
});
const Request = root.lookupType('ExportTraceServiceRequest');

function countSpans(body, contentType) {
  if (/json/.test(contentType ?? '')) {
    const data = JSON.parse(body.toString('utf8'));
    return (data.resourceSpans ?? []).reduce((n, rs) => n + (rs.scopeSpans ?? []).reduce((m, ss) => m + (ss.spans ?? []).length, 0), 0);
  }
  const msg = Request.decode(body);
  let n = 0;
  for (const rs of msg.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

export class OtlpSink {
  /** spans received per run key */
  spans = new Map();
  /** export requests received per run key (any signal) */
  requests = new Map();
  errors = [];
  #server;
  #hung = new Set();
  mode = 'count';

  async start() {
    this.#server = http.createServer((req, res) => {
      const key = req.url.split('/')[1] ?? '';
      this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
      if (this.mode === 'hang') {
        // Read the body (so the client is not blocked writing) but never answer.
        this.#hung.add(res);
        req.resume();
        return;
      }
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (req.url.endsWith('/v1/traces')) {
          try {
            let body = Buffer.concat(chunks);
            if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
            this.spans.set(key, (this.spans.get(key) ?? 0) + countSpans(body, req.headers['content-type']));
          } catch (err) {
            this.errors.push(`${req.url}: ${err.message}`);
          }
        }
        const json = /json/.test(req.headers['content-type'] ?? '');
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : undefined);
      });
    });
    this.#server.keepAliveTimeout = 60_000;
    await new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = this.#server.address().port;
    return this;
  }

  /** The base endpoint for one run: traces arrive at <it>/v1/traces. */
  endpoint(key) {
    return `http://127.0.0.1:${this.port}/${key}`;
  }

  count(key) {
    return this.spans.get(key) ?? 0;
  }

  /** Ends requests left hanging (mode 'hang') once their client is gone. */
  releaseHung() {
    for (const res of this.#hung) res.destroy();
    this.#hung.clear();
  }

  async stop() {
    this.releaseHung();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
