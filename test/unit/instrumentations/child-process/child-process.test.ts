// The child_process instrumentation's configuration, in process: rules, redaction, size cap, propagation, parent spans.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChildProcessInstrumentation, compileRules } from '../../../../src/instrumentations/child-process';

const cp = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
const originals = { spawn: cp.spawn, execFile: cp.execFile, execSync: cp.execSync };
const memory = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
const instrumentation = new ChildProcessInstrumentation({ enabled: false });
instrumentation.setTracerProvider(provider);
const definition = (instrumentation.getModuleDefinitions() as { patch: (e: unknown) => unknown; unpatch: (e: unknown) => void }[])[0];
const contextManager = new AsyncLocalStorageContextManager();

const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-bin-'));
fs.writeFileSync(path.join(bin, 'make'), '#!/bin/sh\ncase "$2" in *fail) exit 2;; esac\n', { mode: 0o755 });
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  definition.patch(cp);
});
afterAll(() => {
  definition.unpatch(cp);
  context.disable();
  propagation.disable();
});
beforeEach(() => {
  memory.reset();
  instrumentation.setConfig({});
});

describe('ChildProcessInstrumentation config', () => {
  it('rules name the span and set attributes from the command line and the exit code', async () => {
    const { rules, warnings } = compileRules({
      rules: [{ match: '^make -C SPECS/(?<name>[^/\\s]+)', name: 'scheduler.build.LocalBuild', attributes: { 'package.name': '${name}' }, successAttribute: 'build.success', errorAttribute: 'build.error' }],
    });
    expect(warnings).toEqual([]);
    instrumentation.setConfig({ rules });
    cp.spawnSync('make', ['-C', 'SPECS/curl'], { env });
    cp.spawnSync('make', ['-C', 'SPECS/fail'], { env });
    await promisify(cp.exec)('make -C SPECS/zlib', { env }); // through a shell: the script's one command is matched
    const spans = memory.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.attributes['package.name'], s.attributes['build.success'], s.attributes['build.error']])).toEqual([
      ['scheduler.build.LocalBuild', 'curl', true, undefined],
      ['scheduler.build.LocalBuild', 'fail', false, 'exit code 2'],
      ['scheduler.build.LocalBuild', 'zlib', true, undefined],
    ]);
  });

  it('redaction is on unless explicitly "off"; redactFlags adds flags', () => {
    const run = () => cp.spawnSync('true', ['--token', 'abc', '-k', 'v']);
    instrumentation.setConfig({ redactFlags: ['-k'] });
    run();
    instrumentation.setConfig({ redaction: false as never });
    run();
    instrumentation.setConfig({ redaction: 'off' });
    run();
    expect(memory.getFinishedSpans().map((s) => s.attributes['process.command_args'])).toEqual([
      ['true', '--token', '<redacted>', '-k', '<redacted>'],
      ['true', '--token', '<redacted>', '-k', 'v'],
      ['true', '--token', 'abc', '-k', 'v'],
    ]);
  });

  it('maxCommandLength caps the recorded arguments and marks them truncated', () => {
    instrumentation.setConfig({ maxCommandLength: 12 });
    cp.execFileSync('echo', ['0123456789', 'abc']);
    const [span] = memory.getFinishedSpans();
    expect(span.attributes['process.command_args']).toEqual(['echo', '0123456']);
    expect(span.attributes['process.command_args_truncated']).toBe(true);
    expect(span.attributes['process.args_count']).toBe(3);
  });

  it('replaces an inherited TRACEPARENT, or leaves the environment alone with propagateContext: false', () => {
    const inherited = { ...process.env, TRACEPARENT: '00-11111111111111111111111111111111-2222222222222222-01', TRACESTATE: 'old=1' };
    const seen = cp.execSync('echo "$TRACEPARENT|$TRACESTATE"', { env: inherited }).toString().trim();
    const [span] = memory.getFinishedSpans();
    expect(seen).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01|`);
    expect(inherited.TRACEPARENT).toBe('00-11111111111111111111111111111111-2222222222222222-01');
    instrumentation.setConfig({ propagateContext: false });
    expect(cp.execSync('echo "$TRACEPARENT|$TRACESTATE"', { env: inherited }).toString().trim()).toBe(`${inherited.TRACEPARENT}|old=1`);
  });

  it('starts spans in the active context; requireParentSpan skips calls without one', () => {
    instrumentation.setConfig({ requireParentSpan: true });
    cp.spawnSync('true');
    expect(memory.getFinishedSpans()).toEqual([]);
    const parent = provider.getTracer('test').startSpan('parent');
    context.with(trace.setSpan(context.active(), parent), () => cp.spawnSync('true'));
    parent.end();
    const [child] = memory.getFinishedSpans();
    expect(child.name).toBe('true');
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('keeps the functions\' names, lengths and promisify.custom, and unpatches to the originals', () => {
    expect(cp.spawn).not.toBe(originals.spawn);
    expect([cp.spawn.name, cp.spawn.length]).toEqual([originals.spawn.name, originals.spawn.length]);
    expect(typeof (cp.execFile as unknown as Record<symbol, unknown>)[promisify.custom]).toBe('function');
    definition.unpatch(cp);
    expect([cp.spawn, cp.execFile, cp.execSync]).toEqual([originals.spawn, originals.execFile, originals.execSync]);
    definition.patch(cp);
  });
});
