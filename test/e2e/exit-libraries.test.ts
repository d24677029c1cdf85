// Other libraries' exit handlers (signal-exit 3 and 4, exit-hook, async-exit-hook, death, plain listeners): same ending with and without the agent, and the spans arrive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { runApp } from '../helpers/run-app';

/** A program with a server open (so only a signal or an exit ends it), which signals itself once listening. */
interface Program {
  name: string;
  entry: 'app.cjs' | 'app.mjs';
  /** Sets up the library's handler; `endSpan(name)`, `server` and `log(...)` are in scope. */
  setup: string;
  signals: NodeJS.Signals[];
  /** How it ends, without the agent (checked, so the scenario stays what it says). */
  expect: (signal: NodeJS.Signals) => { code: number | null; signal: NodeJS.Signals | null };
  /** Spans that must arrive besides `listening`. */
  spans: string[];
}

const CODES: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
const bySignal = (signal: NodeJS.Signals) => ({ code: null, signal });
const byCode = (signal: NodeJS.Signals) => ({ code: 128 + CODES[signal], signal: null });

const PROGRAMS: Program[] = [
  {
    name: 'signal-exit 3',
    entry: 'app.cjs',
    setup: `require('signal-exit3')((code, signal) => { endSpan('cleanup'); log('signal-exit', code, signal); });`,
    signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    expect: bySignal,
    spans: ['cleanup'],
  },
  {
    name: 'signal-exit 4',
    entry: 'app.cjs',
    setup: `require('signal-exit').onExit((code, signal) => { endSpan('cleanup'); log('signal-exit', code, signal); });`,
    signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    expect: bySignal,
    spans: ['cleanup'],
  },
  {
    name: 'exit-hook',
    entry: 'app.mjs',
    setup: `(await import('exit-hook')).default((signal) => { endSpan('cleanup'); log('exit-hook', signal); });`,
    signals: ['SIGTERM', 'SIGINT'],
    expect: byCode,
    spans: ['cleanup'],
  },
  {
    name: 'async-exit-hook',
    entry: 'app.cjs',
    setup: `require('async-exit-hook')((done) => { endSpan('cleanup'); log('async-exit-hook'); setImmediate(done); });`,
    signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    expect: byCode,
    spans: ['cleanup'],
  },
  {
    name: 'death (closes the server)',
    entry: 'app.cjs',
    setup: `require('death')((signal) => { endSpan('cleanup'); log('death', signal); server.close(); });`,
    signals: ['SIGTERM', 'SIGINT'],
    expect: () => ({ code: 0, signal: null }),
    spans: ['cleanup'],
  },
  {
    name: 'process.on(signal) calling process.exit(3)',
    entry: 'app.cjs',
    setup: `for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => { endSpan('cleanup'); log('handler', s); process.exit(3); });`,
    signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    expect: () => ({ code: 3, signal: null }),
    spans: ['cleanup'],
  },
  {
    name: 'process.on(signal) closing the server, no process.exit',
    entry: 'app.cjs',
    setup: `for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => { endSpan('cleanup'); log('handler', s); server.close(); });`,
    signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    expect: () => ({ code: 0, signal: null }),
    spans: ['cleanup'],
  },
  {
    name: 'a listener added then removeAllListeners(signal): no handler left',
    entry: 'app.cjs',
    setup: `for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) { process.on(s, () => log('never')); process.removeAllListeners(s); }`,
    signals: ['SIGTERM'],
    expect: bySignal,
    spans: [],
  },
  {
    name: 'no handler at all',
    entry: 'app.cjs',
    setup: '',
    signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    expect: bySignal,
    spans: [],
  },
];

function program(p: Program, signal: NodeJS.Signals): string {
  const esm = p.entry === 'app.mjs';
  const head = esm
    ? `import { trace } from '@opentelemetry/api';\nimport * as http from 'node:http';`
    : `const { trace } = require('@opentelemetry/api');\nconst http = require('node:http');`;
  const body = `
const tracer = trace.getTracer('exit-libraries');
const endSpan = (name) => tracer.startSpan(name).end();
const log = (...args) => console.log(...args);
const server = http.createServer((req, res) => res.end('ok'));
${p.setup}
// What the library sees: the agent's own listeners are not among them.
log('listeners', ${JSON.stringify(signal)}, process.listeners(${JSON.stringify(signal)}).length, process.listenerCount(${JSON.stringify(signal)}));
server.listen(0, '127.0.0.1', () => {
  endSpan('listening');
  log('ready');
  process.kill(process.pid, ${JSON.stringify(signal)});
});
`;
  return esm ? `${head}\n${body}` : `${head}\n(async () => {\n${body}\n})();`;
}

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const PACKAGES = ['@opentelemetry/api', 'signal-exit3', 'signal-exit', 'exit-hook', 'async-exit-hook', 'death'];

describe.each(PROGRAMS)('$name', (p) => {
  it.each(p.signals)('%s: the same ending, output and stderr as without the agent; the spans arrive', async (signal) => {
    const serviceName = `exit-lib-${Math.random().toString(36).slice(2)}`;
    const common = { files: { [p.entry]: program(p, signal) }, entry: p.entry, packages: PACKAGES, timeoutMs: 20_000 };
    const [withAgent, without] = await Promise.all([
      runApp({ ...common, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: serviceName, OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' } }),
      runApp({ ...common, preload: 'none' }),
    ]);
    expect({ code: without.code, signal: without.signal }).toEqual(p.expect(signal));
    expect({ code: withAgent.code, signal: withAgent.signal }).toEqual(p.expect(signal));
    expect(withAgent.stdout).toBe(without.stdout);
    expect(withAgent.stderr).toBe(without.stderr);
    const mine = (spans: ReceivedSpan[]) => spans.filter((s) => s.resource['service.name'] === serviceName);
    const names = ['listening', ...p.spans];
    await receiver.waitForSpans((all) => names.every((n) => mine(all).some((s) => s.name === n)), 10_000);
  });
});
