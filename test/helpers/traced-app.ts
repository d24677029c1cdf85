// One app run with the agent exporting to a test's receiver, and the spans of that run; and the port placeholders the
// oracle comparisons (the agent's HTTP and undici instrumentations against upstream's) use.
import { expect } from 'vitest';
import type { Receiver, ReceivedSpan } from './otlp-receiver';
import { runApp, type RunResult } from './run-app';

export interface TracedRun {
  run: RunResult;
  spans: ReceivedSpan[];
}

export interface TracedOptions {
  /** The app's files; `app.cjs` is the entry. */
  files: Record<string, string>;
  /** Its OTEL_SERVICE_NAME: the run's spans are told apart by it. */
  service: string;
  env?: Record<string, string>;
  packages?: string[];
  /** stderr must match this; without it, stderr must be empty. */
  stderr?: RegExp;
  /** The spans counted toward `expected`: the run's spans are returned once that many arrived. */
  counts: (span: ReceivedSpan) => boolean;
  expected: number;
}

/** Runs the app (exit code 0, stderr as expected) and waits for its spans at the receiver. */
export async function traced(receiver: Receiver, o: TracedOptions): Promise<TracedRun> {
  const run = await runApp({
    files: o.files,
    entry: 'app.cjs',
    packages: o.packages,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: o.service, OTEL_BSP_SCHEDULE_DELAY: '100', ...o.env },
  });
  if (o.stderr) expect(run.stderr, `${o.service} stderr`).toMatch(o.stderr);
  else expect(run.stderr, `${o.service} stderr`).toBe('');
  expect(run.code, `${o.service} exit code`).toBe(0);
  const mine = (spans: ReceivedSpan[]) => spans.filter((s) => s.resource['service.name'] === o.service);
  const spans = mine(await receiver.waitForSpans((all) => mine(all).filter(o.counts).length >= o.expected));
  return { run, spans };
}

/**
 * An attribute value with the ports the app printed (`PORT <n>` lines) replaced by `PORT<i>`, and a peer port the
 * app did not print (a client's ephemeral port) by `EPHEMERAL`: what differs between two runs of one scenario.
 */
export function portPlaceholders(stdout: string): (value: unknown, key: string) => unknown {
  const ports = [...stdout.matchAll(/^PORT (\d+)$/gm)].map((m) => m[1]);
  return (value, key) => {
    if (key === 'network.peer.port' && typeof value === 'number' && !ports.includes(String(value))) return 'EPHEMERAL';
    let text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string') return value;
    ports.forEach((p, i) => (text = (text as string).split(p).join(`PORT${i}`)));
    return typeof value === 'number' && text === String(value) ? value : text;
  };
}
