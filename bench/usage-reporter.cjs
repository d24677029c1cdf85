// Preloaded first into every benchmarked child: at exit, writes its resource usage (and whether a global tracer provider
// is set, and whether dd-trace is loaded) to $BENCH_USAGE_FILE.
'use strict';
const fs = require('node:fs');

process.on('exit', () => {
  const otel = globalThis[Symbol.for('opentelemetry.js.api.1')];
  const report = { usage: process.resourceUsage(), tracerProvider: Boolean(otel && otel.trace), ddTrace: Boolean(globalThis._ddtrace) };
  fs.writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify(report));
});
