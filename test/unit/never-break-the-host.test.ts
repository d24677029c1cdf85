// Failures inside the agent's parts become one warning and a safe result, never a throw into the program.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPatches } from '../../src/instrumentations/loader';
import { captureWarnings } from '../../src/runtime/logging';
import { DeliveryTracker, GuardedExporter } from '../../src/export/delivery';
import { LazyExporter } from '../../src/export/exporters';
import { guardDetector } from '../../src/sdk/resource';

let warnings: string[] = [];
let restore = () => {};
afterEach(() => restore());
function capture() {
  warnings = [];
  restore = captureWarnings(warnings);
}

function someSpans(n = 2): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  for (let i = 0; i < n; i++) provider.getTracer('t').startSpan(`s${i}`).end();
  return memory.getFinishedSpans();
}

function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

describe('instrumentation patches', () => {
  it('a patch that throws leaves the module unpatched with one warning', () => {
    capture();
    const exportsObject = { original: true };
    const definition = {
      name: 'fragile-lib',
      files: [{ name: 'fragile-lib/inner.js', patch: () => { throw new Error('file boom'); } }],
      patch: () => { throw new TypeError('cannot read x of undefined'); },
    };
    guardPatches({ getModuleDefinitions: () => [definition as never] }, 'fragile');
    expect(definition.patch.call(definition, exportsObject, '1.2.3' as never)).toBe(exportsObject);
    expect(definition.files[0].patch.call(definition.files[0], exportsObject, '1.2.3' as never)).toBe(exportsObject);
    expect(warnings).toEqual([
      '[otel-agent] warning: instrumentation "fragile" failed to patch fragile-lib@1.2.3, which stays uninstrumented: cannot read x of undefined',
      '[otel-agent] warning: instrumentation "fragile" failed to patch fragile-lib/inner.js@1.2.3, which stays uninstrumented: file boom',
    ]);
  });
  it('a patch that works is untouched in effect', () => {
    const definition = { name: 'ok-lib', files: [], patch: (e: { n: number }) => ({ n: e.n + 1 }) };
    guardPatches({ getModuleDefinitions: () => [definition as never] }, 'ok');
    expect(definition.patch({ n: 1 })).toEqual({ n: 2 });
  });
});

describe('exporters', () => {
  it('an exporter whose export throws gives FAILED, one warning, and counts the spans', async () => {
    capture();
    const tracker = new DeliveryTracker('test destination', 100);
    const throwing: SpanExporter = { export: () => { throw new Error('socket exploded'); }, shutdown: async () => {} };
    const guarded = new GuardedExporter(throwing, tracker);
    const spans = someSpans(2);
    expect((await exportOnce(guarded, spans)).code).toBe(ExportResultCode.FAILED);
    expect((await exportOnce(guarded, spans)).code).toBe(ExportResultCode.FAILED);
    expect(tracker.failed).toBe(4);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('cannot export spans to test destination: socket exploded');
  });
  it('an exporter whose constructor throws fails its exports instead of the program', async () => {
    capture();
    const tracker = new DeliveryTracker('lazy destination', 100);
    const lazy = new LazyExporter({ kind: 'console' }, () => { throw new Error('bad TLS file'); });
    const guarded = new GuardedExporter(lazy, tracker);
    expect((await exportOnce(guarded, someSpans(1))).code).toBe(ExportResultCode.FAILED);
    expect(warnings[0]).toContain('cannot export spans to lazy destination: bad TLS file');
    await expect(lazy.shutdown()).resolves.toBeUndefined();
  });
});

describe('resource detectors', () => {
  it('a detector that throws or rejects gives one warning and no attributes', async () => {
    capture();
    const throwing = guardDetector('cloud', { detect: () => { throw new Error('metadata endpoint down'); } });
    expect(throwing.detect()).toEqual({ attributes: {} });
    const rejecting = guardDetector('container', { detect: () => ({ attributes: { 'container.id': Promise.reject(new Error('no cgroup')) } }) });
    const value = await (rejecting.detect().attributes!['container.id'] as Promise<unknown>);
    expect(value).toBeUndefined();
    expect(warnings).toEqual([
      '[otel-agent] warning: resource detector "cloud" failed: metadata endpoint down',
      '[otel-agent] warning: resource detector "container" failed: no cgroup',
    ]);
  });
});
