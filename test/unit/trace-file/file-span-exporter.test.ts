// Tests for FileSpanExporter: real SDK spans written in both formats, file naming, and failure handling.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import ts from 'typescript';
import { context, trace, type Attributes } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  FileSpanExporter,
  traceFileNameForProcess,
  type FileSpanExporterOptions,
} from '../../../src/trace-file/file-span-exporter';
import { crc32c } from '../../../src/trace-file/crc32c';
import { readTraceFile } from '../../../src/trace-file/read-trace-file';
import { captureWarnings } from '../../../src/runtime/logging';

const REPO = path.resolve(__dirname, '../../..');
const TYPE_NAME = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';

// ---- helpers ----------------------------------------------------------------------------------

/** Records the spans handed to the exporter, so tests can compare the file with what was exported. */
class Recording implements SpanExporter {
  readonly batches: ReadableSpan[][] = [];
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans);
    this.inner.export(spans, (result) => {
      this.results.push(result);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** Ends a root span and a child of it (two exports with SimpleSpanProcessor); returns what was exported. */
async function writeParentAndChild(options: FileSpanExporterOptions) {
  const exporter = new FileSpanExporter(options);
  const recording = new Recording(exporter);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'file-exporter-test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: recording })],
  });
  const tracer = provider.getTracer('t');
  const parentAttributes: Attributes = { 'http.route': '/users/:id', retries: 3, ratio: 0.5, ok: true, tags: ['a', 'b'] };
  const parent = tracer.startSpan('parent', { attributes: parentAttributes });
  const child = tracer.startSpan('child', { attributes: { 'db.system': 'postgresql' } }, trace.setSpan(context.active(), parent));
  child.end();
  parent.end();
  await provider.forceFlush();
  return { exporter, recording, provider, parent, child, parentAttributes };
}

/** Ended spans with the given names, collected in memory (for calling the exporter directly). */
function finishedSpans(...names: string[]): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  for (const name of names) provider.getTracer('t').startSpan(name).end();
  return memory.getFinishedSpans();
}

type OtlpSpan = {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: Record<string, unknown> }[];
};
type OtlpRequest = { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };

function spansOf(requests: unknown[]): OtlpSpan[] {
  return (requests as OtlpRequest[]).flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}

function attributeMap(span: OtlpSpan): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((a) => [a.key, a.value]));
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-file-exporter-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- round trips ------------------------------------------------------------------------------

describe.each(['jsonl', 'kops'] as const)('FileSpanExporter, %s format', (format) => {
  it('writes spans that read back with their names, ids, parents and attributes', async () => {
    const file = path.join(tmp, 'nested', 'dirs', 'traces.otel'); // parent directories are created
    const { recording, parent, child, parentAttributes } = await writeParentAndChild({
      target: { kind: 'file', path: file },
      format,
    });
    expect(recording.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);

    const read = readTraceFile(file);
    expect(read.format).toBe(format);
    expect(read.errors).toEqual([]);
    // SimpleSpanProcessor exports each span on its own: two exports, two lines or records.
    expect(read.requests).toHaveLength(2);

    const [childOut, parentOut] = spansOf(read.requests);
    expect(childOut.name).toBe('child');
    expect(parentOut.name).toBe('parent');
    expect(parentOut.traceId).toBe(parent.spanContext().traceId);
    expect(parentOut.spanId).toBe(parent.spanContext().spanId);
    expect(parentOut.parentSpanId).toBeUndefined();
    expect(childOut.traceId).toBe(parent.spanContext().traceId);
    expect(childOut.spanId).toBe(child.spanContext().spanId);
    expect(childOut.parentSpanId).toBe(parent.spanContext().spanId);
    expect(attributeMap(parentOut)).toEqual({
      'http.route': { stringValue: parentAttributes['http.route'] },
      retries: { intValue: 3 },
      ratio: { doubleValue: 0.5 },
      ok: { boolValue: true },
      tags: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } },
    });
    expect(attributeMap(childOut)).toEqual({ 'db.system': { stringValue: 'postgresql' } });

    const resource = (read.requests[0] as OtlpRequest).resourceSpans[0].resource;
    expect(resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'file-exporter-test' } });
  });

  it('appends to an existing file instead of replacing it', async () => {
    const file = path.join(tmp, 'traces.otel');
    await writeParentAndChild({ target: { kind: 'file', path: file }, format });
    await writeParentAndChild({ target: { kind: 'file', path: file }, format });
    const read = readTraceFile(file);
    expect(read.errors).toEqual([]);
    expect(spansOf(read.requests).map((s) => s.name)).toEqual(['child', 'parent', 'child', 'parent']);
  });

  it('exportSync writes before returning (for process exit), and nothing for an empty batch', async () => {
    const file = path.join(tmp, 'traces.otel');
    const exporter = new FileSpanExporter({ target: { kind: 'file', path: file }, format });
    expect(exporter.exportSync([])).toBe(true);
    expect(fs.existsSync(file)).toBe(false); // opened lazily: no spans, no file

    const spans = finishedSpans('one', 'two');
    expect(exporter.exportSync(spans)).toBe(true);
    const read = readTraceFile(file);
    expect(read.requests).toHaveLength(1); // one call, one line or record, however many spans
    expect(spansOf(read.requests).map((s) => s.name)).toEqual(['one', 'two']);
    await exporter.forceFlush();
    await exporter.shutdown();
    expect(exporter.exportSync(spans)).toBe(false); // after shutdown
  });
});

describe('FileSpanExporter, JSON Lines', () => {
  it('writes one newline-terminated OTLP/JSON TracesData object per export', async () => {
    const file = path.join(tmp, 'traces.jsonl');
    const { parent } = await writeParentAndChild({ target: { kind: 'file', path: file }, format: 'jsonl' });
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3); // two lines and the empty string after the last newline
    const second = JSON.parse(lines[1]) as OtlpRequest & { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    expect(Object.keys(second)).toEqual(['resourceSpans']);
    const span = second.resourceSpans[0].scopeSpans[0].spans[0];
    // The upstream JSON serializer already gives hex ids and string nanoseconds.
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanId).toBe(parent.spanContext().spanId);
    expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
  });
});

describe('FileSpanExporter, kops format', () => {
  it('starts the file with the ObjectType record, then one ExportTraceServiceRequest record per export', async () => {
    const file = path.join(tmp, 'traces.otel');
    const { recording } = await writeParentAndChild({ target: { kind: 'file', path: file }, format: 'kops' });
    const bytes = fs.readFileSync(file);

    const name = Buffer.from(TYPE_NAME);
    const objectType = Buffer.concat([Buffer.from([0x08, 32, 0x12, name.length]), name]);
    expect(name.length).toBe(64);
    expect(bytes.readUInt32BE(0)).toBe(objectType.length);
    expect(bytes.readUInt32BE(4)).toBe(crc32c(objectType));
    expect(bytes.readUInt32BE(8)).toBe(0);
    expect(bytes.readUInt32BE(12)).toBe(1);
    expect(bytes.subarray(16, 16 + objectType.length)).toEqual(objectType);

    let offset = 16 + objectType.length;
    for (const batch of recording.batches) {
      const payload = Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!);
      const header = Buffer.alloc(16);
      header.writeUInt32BE(payload.length, 0);
      header.writeUInt32BE(crc32c(payload), 4);
      header.writeUInt32BE(0, 8);
      header.writeUInt32BE(32, 12);
      expect(bytes.subarray(offset, offset + 16)).toEqual(header);
      expect(bytes.subarray(offset + 16, offset + 16 + payload.length)).toEqual(payload);
      offset += 16 + payload.length;
    }
    expect(offset).toBe(bytes.length);
  });
});

// ---- directory mode ---------------------------------------------------------------------------

describe('FileSpanExporter, directory target', () => {
  it('names files <exe>-<pid>-<UTC timestamp>.otel', () => {
    const at = new Date(Date.UTC(2026, 10, 21, 7, 15, 0, 123));
    expect(traceFileNameForProcess(at, 4242, '/srv/app/server.js')).toBe('server.js-4242-20261121T071500Z.otel');
    expect(traceFileNameForProcess(at, 7, undefined)).toBe('node-7-20261121T071500Z.otel');
    expect(traceFileNameForProcess(at, 7, '-')).toBe('node-7-20261121T071500Z.otel');
    expect(traceFileNameForProcess(at, 7, '/x/my app?.js')).toBe('my_app_.js-7-20261121T071500Z.otel');
  });

  it('creates the directory and writes this process file there', async () => {
    const dir = path.join(tmp, 'traces', 'here');
    const { exporter } = await writeParentAndChild({ target: { kind: 'dir', dir }, format: 'kops' });
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    const exe = path.basename(process.argv[1] ?? 'node');
    expect(files[0].startsWith(`${exe}-${process.pid}-`)).toBe(true);
    expect(files[0]).toMatch(/-\d{8}T\d{6}Z\.otel$/);
    expect(exporter.path).toBe(path.join(dir, files[0]));
    expect(spansOf(readTraceFile(exporter.path!).requests).map((s) => s.name)).toEqual(['child', 'parent']);
  });
});

// ---- failures ---------------------------------------------------------------------------------

describe('FileSpanExporter failures', () => {
  let warnings: string[];
  let restore: () => void;
  beforeEach(() => {
    warnings = [];
    restore = captureWarnings(warnings);
  });
  afterEach(() => restore());

  it('export() fails with the cause and leaves the warning to its caller; exportSync warns once; both recover when the path works', async () => {
    const blocker = path.join(tmp, 'not-a-dir');
    fs.writeFileSync(blocker, 'a regular file');
    const file = path.join(blocker, 'traces.otel');
    const exporter = new FileSpanExporter({
      target: { kind: 'file', path: file },
      format: 'kops',
      sourceVariable: 'OTEL_EXPORTER_OTLP_TRACES_FILE',
    });
    const spans = finishedSpans('late');
    const results: ExportResult[] = [];
    for (let i = 0; i < 3; i++) expect(() => exporter.export(spans, (r) => results.push(r))).not.toThrow();
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.FAILED, ExportResultCode.FAILED, ExportResultCode.FAILED]);
    expect(results[0].error?.message).toBe(`${blocker} is not a directory (from OTEL_EXPORTER_OTLP_TRACES_FILE)`);
    // The agent's delivery guard prints export()'s failures; at exit, exportSync does not repeat it.
    expect(warnings).toEqual([]);
    expect(exporter.exportSync(spans)).toBe(false);
    expect(warnings).toEqual([]);
    // Called alone (as from an 'exit' listener), exportSync prints the cause once.
    const atExit = new FileSpanExporter({ target: { kind: 'file', path: file }, format: 'kops', sourceVariable: 'OTEL_EXPORTER_OTLP_TRACES_FILE' });
    expect(atExit.exportSync(spans)).toBe(false);
    expect(atExit.exportSync(spans)).toBe(false);
    expect(warnings).toEqual([
      `[otel-agent] warning: cannot write traces to ${file}: ${blocker} is not a directory (from OTEL_EXPORTER_OTLP_TRACES_FILE)`,
    ]);

    // The path becomes writable: the next export opens it and succeeds, with no further warning.
    fs.rmSync(blocker);
    fs.mkdirSync(blocker);
    expect(exporter.exportSync(spans)).toBe(true);
    expect(warnings).toHaveLength(1);
    const read = readTraceFile(file);
    expect(read.errors).toEqual([]);
    expect(spansOf(read.requests).map((s) => s.name)).toEqual(['late']);
  });

  it('reports a directory given as the file (EISDIR)', async () => {
    const exporter = new FileSpanExporter({ target: { kind: 'file', path: tmp }, format: 'jsonl' });
    expect(exporter.exportSync(finishedSpans('a'))).toBe(false);
    expect(exporter.exportSync(finishedSpans('b'))).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`cannot write traces to ${tmp}: illegal operation on a directory (EISDIR)`);
  });

  // Node's recursive mkdirSync never returns for these paths (it retries ENOENT from /proc forever).
  it.runIf(process.platform === 'linux')('gives up on a directory the kernel refuses to create (/proc, /sys), naming it', async () => {
    const exporter = new FileSpanExporter({ target: { kind: 'file', path: '/proc/no-such-dir/trace' }, format: 'jsonl', sourceVariable: 'OTEL_EXPORTER_OTLP_TRACES_FILE' });
    expect(exporter.exportSync(finishedSpans('a'))).toBe(false);
    expect(exporter.exportSync(finishedSpans('b'))).toBe(false);
    expect(warnings).toEqual([
      '[otel-agent] warning: cannot write traces to /proc/no-such-dir/trace: cannot create directory /proc/no-such-dir: no such file or directory (ENOENT) (from OTEL_EXPORTER_OTLP_TRACES_FILE)',
    ]);
    const inDir = new FileSpanExporter({ target: { kind: 'dir', dir: '/sys/no-such-dir/traces' }, format: 'kops' });
    expect(inDir.exportSync(finishedSpans('c'))).toBe(false);
    expect(warnings[1]).toMatch(/cannot write traces to \/sys\/no-such-dir\/traces\/.*\.otel: cannot create directory \/sys\/no-such-dir: /);
  });

  it.runIf(process.platform !== 'win32')('does not block on a FIFO nobody reads (ENXIO)', async () => {
    const fifo = path.join(tmp, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const exporter = new FileSpanExporter({ target: { kind: 'file', path: fifo }, format: 'jsonl' });
    expect(exporter.exportSync(finishedSpans('a'))).toBe(false);
    expect(warnings).toEqual([`[otel-agent] warning: cannot write traces to ${fifo}: no such device or address (ENXIO)`]);
  });

  it.runIf(fs.existsSync('/dev/full'))('reports a full disk (ENOSPC) as a failed export', async () => {
    const exporter = new FileSpanExporter({ target: { kind: 'file', path: '/dev/full' }, format: 'kops' });
    expect(exporter.exportSync(finishedSpans('a'))).toBe(false);
    expect(exporter.exportSync(finishedSpans('b'))).toBe(false);
    expect(warnings).toEqual(['[otel-agent] warning: cannot write traces to /dev/full: no space left on device (ENOSPC)']);
    await exporter.shutdown();
  });

  it('falls back to JSON Lines, with a warning, when asked for kops on stdout', () => {
    const exporter = new FileSpanExporter({ target: { kind: 'stdout' }, format: 'kops', sourceVariable: 'OTEL_TRACES_EXPORTER' });
    expect(exporter.format).toBe('jsonl');
    expect(exporter.path).toBeUndefined();
    expect(warnings).toEqual([
      '[otel-agent] warning: the kops trace format is binary and cannot go to stdout; writing JSON Lines instead (from OTEL_TRACES_EXPORTER)',
    ]);
  });
});

// ---- in a real process: stdout, and writing from an 'exit' listener ------------------------------

// The exporter's sources are transpiled to CommonJS in a temporary directory and run by a child
// Node process, which resolves the OpenTelemetry packages through NODE_PATH.
function transpileSources(outDir: string): void {
  const files = ['runtime/logging.ts', 'runtime/bounded-fs.ts', 'runtime/environment.ts', 'trace-file/format.ts', 'trace-file/crc32c.ts', 'trace-file/kops-framing.ts', 'trace-file/file-span-exporter.ts', 'export/otlp-trace-encoder.ts'];
  for (const file of files) {
    const source = fs.readFileSync(path.join(REPO, 'src', file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const out = path.join(outDir, file.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, outputText);
  }
}

const CHILD = `
const { FileSpanExporter } = require('./trace-file/file-span-exporter.js');
const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const memory = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
provider.getTracer('t').startSpan('from-child', { attributes: { n: 1 } }).end();
const spans = memory.getFinishedSpans();
const stdout = new FileSpanExporter({ target: { kind: 'stdout' }, format: 'kops', sourceVariable: 'TEST_VAR' });
stdout.export(spans, (r) => { if (r.code !== 0) process.exitCode = 3; });
const atExit = new FileSpanExporter({ target: { kind: 'file', path: process.argv[2] }, format: 'kops' });
process.on('exit', () => { if (!atExit.exportSync(spans)) process.exitCode = 4; });
`;

describe('FileSpanExporter in a child process', () => {
  it('writes JSON lines to stdout and can write a file from an exit listener', () => {
    const build = path.join(tmp, 'build');
    transpileSources(build);
    fs.writeFileSync(path.join(build, 'child.js'), CHILD);
    const file = path.join(tmp, 'exit', 'at-exit.otel');
    const result = spawnSync(process.execPath, [path.join(build, 'child.js'), file], {
      cwd: build,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
      encoding: 'utf8',
    });
    expect(result.stderr).toContain('writing JSON Lines instead (from TEST_VAR)');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.at(-1)).toBe('');
    const request = JSON.parse(lines[0]) as OtlpRequest;
    expect(spansOf([request]).map((s) => s.name)).toEqual(['from-child']);
    const read = readTraceFile(file);
    expect(read.format).toBe('kops');
    expect(spansOf(read.requests).map((s) => s.name)).toEqual(['from-child']);
  });
});
