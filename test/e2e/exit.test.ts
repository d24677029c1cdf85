// Exit paths: every ended span arrives, and exit code, signal, output and handlers are what they are without the agent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { nodeMatrix } from '../helpers/node-versions';
import { runApp, type RunResult } from '../helpers/run-app';

/** Each scenario is an app body; `tracer` and `endSpan(name)` are in scope; it prints what it does. */
interface Scenario {
  name: string;
  body: string;
  /** Spans that must arrive. */
  spans: string[];
  expect: { code: number | null; signal: NodeJS.Signals | null };
  /** An error span that must arrive, with its exception event. */
  errorSpan?: string;
}

const KEEP_ALIVE = `const keepAlive = setInterval(() => {}, 1000);`;

const SCENARIOS: Scenario[] = [
  { name: 'normal end', body: `endSpan('s1'); console.log('done');`, spans: ['s1'], expect: { code: 0, signal: null } },
  { name: 'process.exitCode = 3 (sync)', body: `endSpan('s1'); process.exitCode = 3; console.log('done');`, spans: ['s1'], expect: { code: 3, signal: null } },
  { name: 'process.exitCode = 7 (callback)', body: `setTimeout(() => { endSpan('s1'); process.exitCode = 7; }, 5);`, spans: ['s1'], expect: { code: 7, signal: null } },
  { name: 'process.exit(4) (sync)', body: `endSpan('s1'); console.log('bye'); process.exit(4);`, spans: ['s1'], expect: { code: 4, signal: null } },
  { name: 'process.exit(6) (callback)', body: `${KEEP_ALIVE} setTimeout(() => { endSpan('s1'); endSpan('s2'); process.exit(6); }, 5);`, spans: ['s1', 's2'], expect: { code: 6, signal: null } },
  ...(['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((signal) => ({
    name: `${signal} without a handler`,
    body: `${KEEP_ALIVE} endSpan('s1'); console.log('ready'); setTimeout(() => process.kill(process.pid, '${signal}'), 5);`,
    spans: ['s1'],
    expect: { code: null, signal },
  })),
  {
    name: 'SIGTERM with the app\'s own async shutdown',
    body: `${KEEP_ALIVE}
process.on('SIGTERM', () => {
  console.log('app handler');
  setTimeout(() => { endSpan('shutdown-work'); clearInterval(keepAlive); process.exitCode = 0; console.log('app shut down'); }, 50);
});
endSpan('s1');
setTimeout(() => process.kill(process.pid, 'SIGTERM'), 5);`,
    spans: ['s1', 'shutdown-work'],
    expect: { code: 0, signal: null },
  },
  {
    name: 'SIGINT with the app\'s handler that exits 130',
    body: `${KEEP_ALIVE}
process.on('SIGINT', () => { endSpan('cleanup'); console.log('interrupted'); process.exit(130); });
setTimeout(() => process.kill(process.pid, 'SIGINT'), 5);`,
    spans: ['cleanup'],
    expect: { code: 130, signal: null },
  },
  {
    name: 'uncaught exception',
    body: `tracer.startActiveSpan('work', () => { endSpan('s1'); setTimeout(() => { throw new Error('boom'); }, 5); });`,
    spans: ['s1', 'work'],
    errorSpan: 'work',
    expect: { code: 1, signal: null },
  },
  {
    name: 'unhandled rejection',
    body: `tracer.startActiveSpan('work', () => { endSpan('s1'); setTimeout(() => { Promise.reject(new Error('rejected')); }, 5); });`,
    spans: ['s1', 'work'],
    errorSpan: 'work',
    expect: { code: 1, signal: null },
  },
];

function app(body: string, esm: boolean): string {
  const head = esm ? `import { trace } from '@opentelemetry/api';` : `const { trace } = require('@opentelemetry/api');`;
  return `${head}
const tracer = trace.getTracer('exit-test');
function endSpan(name) { tracer.startSpan(name).end(); }
${body}
`;
}

/** Stack traces name the app's directory, which differs per run. */
const normalize = (r: RunResult) => r.stderr.split(r.dir).join('<app>');

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

describe.each(nodeMatrix())('Node $label', (node) => {
  describe.each([
    ['CJS', 'app.cjs', false],
    ['ESM', 'app.mjs', true],
  ] as const)('%s', (_kind, entry, esm) => {
    it.each(SCENARIOS)('$name', async (scenario) => {
      const serviceName = `exit-${Math.random().toString(36).slice(2)}`;
      const files = { [entry]: app(scenario.body, esm) };
      const common = { files, entry, node: node.path, packages: ['@opentelemetry/api'] };
      const [withAgent, without] = await Promise.all([
        runApp({ ...common, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: serviceName, OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' } }),
        runApp({ ...common, preload: 'none' }),
      ]);
      // Behavior identical to running without the agent.
      expect({ code: without.code, signal: without.signal }).toEqual(scenario.expect);
      expect({ code: withAgent.code, signal: withAgent.signal }).toEqual(scenario.expect);
      expect(withAgent.stdout).toBe(without.stdout);
      expect(normalize(withAgent)).toBe(normalize(without));
      // Every ended span arrived.
      const mine = (spans: ReceivedSpan[]) => spans.filter((s) => s.resource['service.name'] === serviceName);
      const spans = mine(await receiver.waitForSpans((all) => scenario.spans.every((n) => mine(all).some((s) => s.name === n)), 10_000));
      if (scenario.errorSpan) {
        const failed = spans.find((s) => s.name === scenario.errorSpan)!;
        expect(failed.status.code).toBe(2);
        expect(failed.events.map((e) => e.name)).toContain('exception');
      }
    });
  });
});
