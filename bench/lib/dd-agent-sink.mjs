// A stand-in for the Datadog agent, for dd-trace's reference rows: one listener per run on 127.0.0.1 (dd-trace
// drops any path in DD_TRACE_AGENT_URL, so the port tells the runs apart). It counts the spans of each
// PUT/POST /v0.4/traces or /v0.5/traces (msgpack), but for dd-trace's own (isOwn), and answers every endpoint
// dd-trace calls with 200 and the JSON it expects, at once. The paths it saw are kept per run, for RESULTS.md.
import { createRequire } from 'node:module';
import http from 'node:http';

const require = createRequire(import.meta.url);
const { decode } = require('@msgpack/msgpack');

// What the real agent's /info advertises that matters here: the trace endpoints. No client-side p0 dropping,
// so dd-trace sends every span it records.
const INFO = JSON.stringify({ version: 'bench', endpoints: ['/v0.4/traces', '/v0.5/traces', '/info'], client_drop_p0s: false });

/**
 * Names and resources of a trace payload's spans. v0.4: [trace[span{name, resource, ...}]]; v0.5: [strings,
 * [trace[span[service, name, resource, ...]]]], each string an index into the table.
 */
function spansOf(body, version) {
  const data = decode(body, { useBigInt64: true });
  if (version === '0.5') return data[1].flatMap((trace) => trace.map((span) => ({ name: data[0][span[1]], resource: data[0][span[2]] })));
  return data.flatMap((trace) => trace.map((span) => ({ name: span.name, resource: span.resource })));
}

/**
 * dd-trace's own span: a dns.lookup of the agent's host, seen once per process (its metrics client also posts once to
 * /dogstatsd/v2/proxy, runtime metrics off or not). Not the program's work: not counted, so spans per request stay whole.
 */
const isOwn = (span) => span.name === 'dns.lookup' && span.resource === '127.0.0.1';

export class DdAgentSink {
  /** spans received per run key */
  spans = new Map();
  /** span names (operation names) and their counts, per run key */
  names = new Map();
  /** dd-trace's own spans (isOwn), per run key */
  own = new Map();
  /** paths requested per run key */
  paths = new Map();
  errors = [];
  #servers = new Map();

  /** Starts the listener of run `key`; DD_TRACE_AGENT_URL for that run. */
  async agentUrl(key) {
    const server = http.createServer((req, res) => this.#handle(key, req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#servers.set(key, server);
    return `http://127.0.0.1:${server.address().port}`;
  }

  #handle(key, req, res) {
    const path = req.url.split('?')[0];
    const seen = this.paths.get(key) ?? new Set();
    seen.add(`${req.method} ${path}`);
    this.paths.set(key, seen);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let answer = '{}';
      const traces = /^\/v0\.([45])\/traces$/.exec(path);
      if (traces) {
        try {
          const spans = spansOf(Buffer.concat(chunks), `0.${traces[1]}`);
          const own = spans.filter(isOwn).length;
          this.spans.set(key, (this.spans.get(key) ?? 0) + spans.length - own);
          this.own.set(key, (this.own.get(key) ?? 0) + own);
          const counts = this.names.get(key) ?? new Map();
          for (const { name } of spans) counts.set(name, (counts.get(name) ?? 0) + 1);
          this.names.set(key, counts);
        } catch (err) {
          this.errors.push(`${req.method} ${path}: ${err.message}`);
        }
        answer = '{"rate_by_service":{}}';
      } else if (path === '/info') {
        answer = INFO;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer);
    });
  }

  count(key) {
    return this.spans.get(key) ?? 0;
  }

  /**
   * Closes run `key`'s listener once its process has ended: idle connections at once, a request still being read
   * (the last flush, sent as the process ended) when it has arrived, so its spans are counted.
   */
  async close(key) {
    const server = this.#servers.get(key);
    if (!server) return;
    this.#servers.delete(key);
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    await closed;
  }

  async stop() {
    for (const server of this.#servers.values()) server.closeAllConnections();
    await Promise.all([...this.#servers.keys()].map((key) => this.close(key)));
  }
}
