// Microbenchmark: ns per span for startSpan + 10 attributes + end, the SDK's Tracer/SpanImpl against the agent's lean tracer.
// Same provider options for both (default limits, parent-based always-on sampler, one no-op span processor, no context
// manager: ROOT_CONTEXT parents). Rounds interleaved (SDK, lean, lean, SDK, ...), medians of BENCH_ROUNDS (default 5).
// Run: npm run build && nice node_modules/.bin/node bench/lean-span.mjs   (BENCH_SPANS per round, default 200000)
import { createRequire } from 'node:module';
import { median, requireDist } from './lib/common.mjs';

const require = createRequire(import.meta.url);
requireDist();
const { ROOT_CONTEXT, SpanKind } = require('@opentelemetry/api');
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { AgentTracerProvider, LeanTracer } = require('../dist/sdk/lean-tracer.js');

const SPANS = Number(process.env.BENCH_SPANS) || 200_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
const SCOPE = '@org/otel-agent/instrumentation-http';

const noop = { onStart() {}, onEnding() {}, onEnd() {}, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
const sdkTracer = new TracerProvider({ spanProcessors: [noop] }).getTracer(SCOPE, '0.1.0');
const leanTracer = new AgentTracerProvider({ spanProcessors: [noop] }).getTracer(SCOPE, '0.1.0');
if (!(leanTracer instanceof LeanTracer) || sdkTracer instanceof LeanTracer) throw new Error('the providers did not give the expected tracers');

// A server span's attributes, as the agent's HTTP instrumentation sets them.
const ATTRIBUTES = {
  'http.request.method': 'GET',
  'url.scheme': 'http',
  'url.path': '/users/42',
  'url.query': 'page=2',
  'server.address': 'localhost',
  'server.port': 8080,
  'network.protocol.version': '1.1',
  'network.peer.address': '127.0.0.1',
  'network.peer.port': 51234,
  'user_agent.original': 'autocannon/8',
};
const OPTIONS = { kind: SpanKind.SERVER };
const START_OPTIONS = { kind: SpanKind.SERVER, attributes: ATTRIBUTES };

const SCENARIOS = {
  // The HTTP instrumentation's pattern: start, setAttributes, end.
  'startSpan + setAttributes(10) + end': (tracer) => {
    const span = tracer.startSpan('GET', OPTIONS, ROOT_CONTEXT);
    span.setAttributes(ATTRIBUTES);
    span.end();
  },
  // Attributes given at start (the kubernetes, child-process and function-span instrumentations).
  'startSpan({ attributes: 10 }) + end': (tracer) => {
    tracer.startSpan('GET', START_OPTIONS, ROOT_CONTEXT).end();
  },
};

function round(tracer, scenario) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < SPANS; i++) scenario(tracer);
  return Number(process.hrtime.bigint() - start) / SPANS;
}

const results = [];
for (const [name, scenario] of Object.entries(SCENARIOS)) {
  // Warm-up: both paths optimized before measuring.
  round(sdkTracer, scenario);
  round(leanTracer, scenario);
  const sdk = [];
  const lean = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [sdk, lean] : [lean, sdk];
    for (const samples of order) samples.push(round(samples === sdk ? sdkTracer : leanTracer, scenario));
  }
  results.push({ name, sdk: median(sdk), lean: median(lean) });
}

console.log(`node ${process.version}, ${SPANS} spans per round, median of ${ROUNDS} interleaved rounds`);
console.log('| scenario | SDK span (ns/span) | lean span (ns/span) | lean / SDK |');
console.log('|---|---:|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${r.sdk.toFixed(0)} | ${r.lean.toFixed(0)} | ${(r.lean / r.sdk).toFixed(2)} |`);
