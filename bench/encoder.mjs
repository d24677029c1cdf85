// What encoding one span costs: the agent's OTLP trace encoder (dist/export/otlp-trace-encoder.js) against upstream's
// ProtobufTraceSerializer, on batches of 512 SDK spans shaped as the agent's HTTP server spans (14 attributes).
// Checks that both write the same bytes first. Rounds interleaved; prints ns per span (median of rounds) and the ratio.
// node bench/encoder.mjs [rounds=7]
import { createRequire } from 'node:module';
import { median } from './lib/common.mjs';

const require = createRequire(import.meta.url);
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { encodeTraceRequest } = require('../dist/export/otlp-trace-encoder.js');

const BATCH = 512;
const ended = [];
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench', 'host.name': 'h', 'process.pid': 1234, 'process.runtime.name': 'nodejs', 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.version': '3.0.0' }),
  spanProcessors: [{ onStart() {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
});
const tracer = provider.getTracer('@org/otel-agent/instrumentation-http', '1.0.0');
for (let i = 0; i < BATCH; i++) {
  const span = tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER, attributes: {
    'http.request.method': 'GET', 'url.scheme': 'http', 'url.path': `/users/${i}`, 'server.address': '127.0.0.1', 'server.port': 3000,
    'network.protocol.version': '1.1', 'network.peer.address': '127.0.0.1', 'network.peer.port': 50000 + i, 'client.address': '127.0.0.1',
    'user_agent.original': 'autocannon/7.15.0', 'http.route': '/users/:id', 'http.response.status_code': 200, 'network.transport': 'tcp', 'url.query': 'a=1',
  } });
  span.setStatus({ code: SpanStatusCode.UNSET });
  span.end();
}
if (!Buffer.from(encodeTraceRequest(ended)).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(ended)))) throw new Error('the encoders disagree');

const variants = { upstream: (s) => ProtobufTraceSerializer.serializeRequest(s), agent: (s) => encodeTraceRequest(s) };
const rounds = Number(process.argv[2]) || 7;
const results = { upstream: [], agent: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of r % 2 ? Object.entries(variants).reverse() : Object.entries(variants)) {
    for (let i = 0; i < 50; i++) fn(ended);
    const n = 400;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(ended);
    results[name].push(Number(process.hrtime.bigint() - t0) / (n * BATCH));
  }
}
const up = median(results.upstream);
const ag = median(results.agent);
console.log(`bytes per batch: ${encodeTraceRequest(ended).length} (${BATCH} spans)`);
console.log(`upstream ProtobufTraceSerializer: ${up.toFixed(0)} ns/span`);
console.log(`agent encodeTraceRequest:         ${ag.toFixed(0)} ns/span  (${(ag / up).toFixed(2)} of upstream)`);
