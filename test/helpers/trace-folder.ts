// A folder like a CI job's otlp/ artifacts (kops): many files, many traces, each trace's spans spread over several files.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FILES = 50;
export const TRACES = 100;
export const SPANS_PER_TRACE = 500;

const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');
export const traceIdOf = (t: number) => `${hex(0xabc, 8)}${hex(t + 1, 8)}`;

/**
 * A folder like kops' otlp/ artifacts: 50 files (one per process), 100 traces of 500 spans, each
 * trace's spans spread over 5 of the files. Trace t: root `job-t` of service `svc-(t % 4)`, t % 7
 * failed spans, a duration of (t + 1) seconds, one span named `unique-step-t`.
 */
export function writeTraceFolder(dir: string): void {
  const t0 = 1_763_700_000_000_000_000n;
  const lines: string[][] = Array.from({ length: FILES }, () => []);
  for (let t = 0; t < TRACES; t++) {
    const start = t0 + BigInt(t) * 60_000_000_000n;
    const end = start + BigInt(t + 1) * 1_000_000_000n;
    const spans = [];
    for (let i = 0; i < SPANS_PER_TRACE; i++) {
      const spanStart = start + (BigInt(i) * (end - start)) / BigInt(SPANS_PER_TRACE);
      spans.push({
        traceId: traceIdOf(t),
        spanId: hex(t * SPANS_PER_TRACE + i + 1, 8),
        ...(i === 0 ? {} : { parentSpanId: hex(t * SPANS_PER_TRACE + 1, 8) }),
        name: i === 0 ? `job-${t}` : i === 250 ? `unique-step-${t}` : `step ${i % 20}`,
        kind: i === 0 ? 1 : 3,
        startTimeUnixNano: String(spanStart),
        endTimeUnixNano: String(i === 0 ? end : spanStart + 1_000_000n),
        attributes: [{ key: 'step.index', value: { intValue: i } }],
        ...(i > 0 && i <= t % 7 ? { status: { code: 2, message: 'failed' } } : {}),
      });
    }
    // Five processes per trace, each writing its part to its own file.
    for (let p = 0; p < 5; p++) {
      const file = (t * 5 + p) % FILES;
      const part = spans.filter((_, i) => i % 5 === p);
      lines[file].push(
        JSON.stringify({
          resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: `svc-${t % 4}` } }] }, scopeSpans: [{ scope: { name: 'fixture' }, spans: part }] }],
        }),
      );
    }
  }
  lines.forEach((l, i) => fs.writeFileSync(path.join(dir, `process-${String(i).padStart(2, '0')}.jsonl`), `${l.join('\n')}\n`));
}

