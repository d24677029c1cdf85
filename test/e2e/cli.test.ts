// End-to-end tests of the otel-agent command (dist/cli/otel-agent.js): run, doctor, replay and view, on trace files the agent wrote itself.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, makeAppDir, REPO_ROOT, runApp } from '../helpers/run-app';
import { normalizeTracesData, startReceiver, type ReceivedSpan, type Receiver, type Transport } from '../helpers/otlp-receiver';
import { readKopsHeader } from '../../src/trace-file/kops-framing';
import { readTraceFile } from '../../src/trace-file/read-trace-file';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'otel-agent.js');
const NODE_DIR = path.dirname(process.execPath);

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI with a clean environment (no OTEL_*, no NODE_OPTIONS) and the test's Node first on PATH. */
function startCli(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const env = cleanEnv({ PATH: `${NODE_DIR}${path.delimiter}${process.env.PATH ?? ''}`, ...options.env });
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

const cli = (args: string[], options?: Parameters<typeof startCli>[1]) => startCli(args, options).done;

let tmp: string;
let receiver: Receiver;
beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-cli-'));
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => receiver.reset());

/**
 * A small app traced by the agent: a manual root span with attributes of every simple kind, an
 * HTTP server and a fetch to it (server and client spans), and a producer span with an event, a link
 * and an error status.
 */
const FIXTURE_APP = `
const api = require('@opentelemetry/api');
const http = require('node:http');
const tracer = api.trace.getTracer('fixture', '1.0.0');
tracer.startActiveSpan('job', { attributes: { 'package.name': 'fixture', str: 'héllo', int: 42, big: 2 ** 40, neg: -7, dbl: 0.25, ok: true, strs: ['a', 'b'], ints: [1, 2, 3] } }, (root) => {
  const server = http.createServer((req, res) => setTimeout(() => res.end('ok'), 5)).listen(0, '127.0.0.1', async () => {
    await fetch('http://127.0.0.1:' + server.address().port + '/items/7');
    const step = tracer.startSpan('publish', { kind: api.SpanKind.PRODUCER, links: [{ context: root.spanContext(), attributes: { why: 'test' } }] });
    step.addEvent('checkpoint', { n: 1 });
    step.setStatus({ code: api.SpanStatusCode.ERROR, message: 'boom' });
    step.end();
    root.end();
    server.close();
  });
});
`;

/** Runs the fixture app with the agent writing `format` to a file; returns the file. */
async function agentTraceFile(format: 'jsonl' | 'kops'): Promise<string> {
  const file = path.join(tmp, `fixture-${format}.${format === 'kops' ? 'otel' : 'jsonl'}`);
  const result = await runApp({
    files: { 'app.js': FIXTURE_APP },
    entry: 'app.js',
    packages: ['@opentelemetry/api'],
    env: { OTEL_EXPORTER_OTLP_TRACES_FILE: file, OTEL_AGENT_TRACE_FILE_FORMAT: format, OTEL_SERVICE_NAME: 'fixture' },
  });
  expect(result.code, result.stderr).toBe(0);
  return file;
}

/** The spans a file holds, in the receiver's normalized form. */
function spansInFile(file: string): ReceivedSpan[] {
  return readTraceFile(file).requests.flatMap((r) => normalizeTracesData(r, 'http/json'));
}

function comparable(spans: ReceivedSpan[]): Omit<ReceivedSpan, 'transport'>[] {
  return spans
    .map(({ transport: _t, ...rest }) => rest)
    .sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
}

let jsonlFile: string;
let kopsFile: string;
beforeAll(async () => {
  [jsonlFile, kopsFile] = await Promise.all([agentTraceFile('jsonl'), agentTraceFile('kops')]);
});

describe('otel-agent replay', () => {
  const cases: [string, Transport, () => string][] = [];
  for (const [format, file] of [['jsonl', () => jsonlFile], ['kops', () => kopsFile]] as const) {
    for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const) cases.push([format, protocol, file]);
  }
  it.each(cases)('sends a %s file over %s with ids, times, attributes, events, links and status intact', async (_format, protocol, file) => {
    const expected = spansInFile(file());
    expect(expected.length).toBe(4);
    const endpoint = protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl;
    const result = await cli(['replay', file(), '--endpoint', endpoint, '--protocol', protocol]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^replay to ${protocol} .*: 1 file, 1 trace, 4 spans, 4 sent, 0 failed, 0 damaged records skipped\\n$`));
    expect(result.stderr).toBe(''); // no progress bar: stderr is not a terminal
    const received = await receiver.waitForSpans((s) => s.length >= 4);
    expect(received.every((s) => s.transport === protocol)).toBe(true);
    expect(comparable(received)).toEqual(comparable(expected));
    // Spot checks on what comparable() covers, so a normalization slip cannot hide a loss.
    const job = received.find((s) => s.name === 'job')!;
    expect(job.attributes).toMatchObject({ str: 'héllo', int: 42, big: 2 ** 40, neg: -7, dbl: 0.25, ok: true, strs: ['a', 'b'], ints: [1, 2, 3] });
    const publish = received.find((s) => s.name === 'publish')!;
    expect(publish.links).toEqual([{ traceId: job.traceId, spanId: job.spanId, attributes: { why: 'test' } }]);
    expect(publish.status).toEqual({ code: 2, message: 'boom' });
    expect(publish.events.map((e) => e.name)).toEqual(['checkpoint']);
    expect(publish.resource['service.name']).toBe('fixture');
  });

  it('reports damaged lines and records with file and position, skips them, and sends the rest', async () => {
    const dir = path.join(tmp, 'damaged');
    fs.mkdirSync(dir);
    // JSON Lines: a bad line in the middle and a truncated last line.
    const lines = fs.readFileSync(jsonlFile, 'utf8').trimEnd().split('\n');
    fs.writeFileSync(path.join(dir, 'a.jsonl'), [lines[0], '{"resourceSpans": [', ...lines.slice(1), lines[0].slice(0, 40)].join('\n'));
    // kops: a flipped byte in the last record's payload, then a truncated copy of a record.
    const kops = Buffer.from(fs.readFileSync(kopsFile));
    const offsets: number[] = [];
    for (let o = 0; o < kops.length; o += 16 + readKopsHeader(kops, o).payloadLength) offsets.push(o);
    const last = offsets[offsets.length - 1];
    const flipped = Buffer.from(kops);
    flipped[last + 16 + 5] ^= 0xff;
    // The intact records again after the damaged one (so the reader can resynchronize), then a cut-off record.
    const records = kops.subarray(offsets[1]);
    const firstRecord = kops.subarray(offsets[1], offsets[2] ?? kops.length);
    fs.writeFileSync(path.join(dir, 'b.otel'), Buffer.concat([flipped, records, firstRecord.subarray(0, firstRecord.length - 3)]));

    const good = new Set([...spansInFile(path.join(dir, 'a.jsonl')), ...spansInFile(path.join(dir, 'b.otel'))].map((s) => s.spanId));
    const result = await cli(['replay', dir, '--endpoint', receiver.httpUrl]);
    expect(result.code, result.stderr).toBe(0);
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.otel');
    expect(result.stderr).toContain(`${a}: line 2: invalid JSON`);
    expect(result.stderr).toMatch(new RegExp(`${a}: line \\d+: invalid JSON \\(last line, no newline: truncated\\?\\)`));
    expect(result.stderr).toMatch(new RegExp(`${b}: record \\d+ at byte ${last}: CRC-32C mismatch`));
    expect(result.stderr).toMatch(new RegExp(`${b}: record \\d+ at byte \\d+: truncated record`));
    expect(result.stdout).toMatch(/2 files, 2 traces, \d+ spans, \d+ sent, 0 failed, 4 damaged records skipped/);
    const received = await receiver.waitForSpans((s) => s.length >= good.size);
    expect(new Set(received.map((s) => s.spanId))).toEqual(good);
  });

  it('reports a span it cannot rebuild and sends its neighbours', async () => {
    const doc = JSON.parse(fs.readFileSync(jsonlFile, 'utf8').split('\n')[0]);
    const spans = doc.resourceSpans[0].scopeSpans[0].spans;
    spans.push({ ...spans[0], spanId: 'not-an-id', name: 'broken' });
    const file = path.join(tmp, 'bad-span.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(doc)}\n`);
    const result = await cli(['replay', file, '--endpoint', receiver.httpUrl, '--protocol', 'http/json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/bad-span\.jsonl: line 1: span \d+: spanId "not-an-id" is not a 8-byte id; skipped/);
    const received = await receiver.waitForSpans((s) => s.length >= spans.length - 1);
    expect(received.map((s) => s.name)).not.toContain('broken');
  });

  it('counts spans it could not deliver and exits 1 when the endpoint is down', async () => {
    // Five requests' worth: the first three fail, the rest is not even tried.
    const file = path.join(tmp, 'five.jsonl');
    fs.writeFileSync(file, fs.readFileSync(jsonlFile, 'utf8').repeat(5));
    const spans = spansInFile(file).length;
    const result = await cli(['replay', file, '--endpoint', 'http://127.0.0.1:9', '--batch-size', '1', '--timeout', '1000']);
    expect(result.code).toBe(1);
    expect(result.stderr.match(/spans not accepted by http:\/\/127\.0\.0\.1:9\/v1\/traces: connect ECONNREFUSED/g)).toHaveLength(3);
    expect(result.stderr).toContain('3 requests failed in a row; the remaining spans are counted, not sent');
    expect(result.stdout).toContain(`1 file, 1 trace, ${spans} spans, 0 sent, ${spans} failed`);
  });
});

describe('otel-agent view', () => {
  /** A trace with fixed times, so the rendering can be compared exactly. */
  function fixedTraceFile(): string {
    const t0 = 1_763_700_000_000_000_000n;
    const span = (id: string, parent: string | undefined, name: string, startMs: number, endMs: number, extra: object = {}) => ({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: id,
      ...(parent ? { parentSpanId: parent } : {}),
      name,
      kind: 1,
      startTimeUnixNano: String(t0 + BigInt(startMs) * 1_000_000n),
      endTimeUnixNano: String(t0 + BigInt(endMs) * 1_000_000n),
      ...extra,
    });
    const attr = (key: string, value: object) => ({ key, value });
    const doc = {
      resourceSpans: [
        {
          resource: { attributes: [attr('service.name', { stringValue: 'runner' })] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: [
                span('1000000000000001', undefined, 'runner', 0, 1000, { attributes: [attr('package.name', { stringValue: 'kubevirt-actions-runner' })] }),
                span('1000000000000002', '1000000000000001', 'create VMI', 100, 300, { kind: 3, attributes: [attr('vmiName', { stringValue: 'runner-x1' }), attr('k8s.namespace.name', { stringValue: 'ci' })] }),
                span('1000000000000003', '1000000000000001', 'wait for VMI', 300, 900, { status: { code: 2, message: 'timeout' } }),
                span('1000000000000004', '1000000000000003', 'GET', 400, 450, { kind: 3, attributes: [attr('url.path', { stringValue: '/apis/kubevirt.io/v1/vmis' }), attr('http.response.status_code', { intValue: 200 })] }),
                span('1000000000000005', '1000000000000001', 'cleanup', 900, 1000, { attributes: [attr('process.exit.code', { intValue: 0 })] }),
              ],
            },
          ],
        },
      ],
    };
    const file = path.join(tmp, 'fixed.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(doc)}\n`);
    return file;
  }

  it('draws the waterfall, plain when piped, scaled to the width', async () => {
    const file = fixedTraceFile();
    const result = await cli(['view', file, '--width', '100']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/\x1b\[/);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'trace 5b8efff798038103d269b633813fc60c · 5 spans · 1 error · 1.00s · runner',
      'started 2025-11-21T04:40:00.000000Z',
      'runner package.name=kubevirt-actions-runner   █████████████████████████████████████████████    1.00s',
      '├─create VMI vmiName=runner-x1 k8s.namespace…     ██████████                                   200ms',
      '├─✗ wait for VMI                                           ████████████████████████████        600ms',
      '│ └─GET path=/apis/kubevirt.io/v1/vmis statu…                   ███                           50.0ms',
      '└─cleanup exit=0                                                                      █████    100ms',
      '',
    ]);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it('uses colors with FORCE_COLOR, selects a trace by id prefix, and says when there is none', async () => {
    const file = fixedTraceFile();
    const colored = await cli(['view', file], { env: { FORCE_COLOR: '1' } });
    expect(colored.stdout).toMatch(/\x1b\[31m✗ \x1b\[39m/);
    const selected = await cli(['view', file, jsonlFile, '--trace', '5B8EFF']);
    expect(selected.stdout.match(/^trace /gm)).toHaveLength(1);
    const none = await cli(['view', file, '--trace', 'ffff']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no trace ffff');
  });

  it('shows the agent-written files of both formats alike, and reports damage on stderr', async () => {
    const [a, b] = await Promise.all([cli(['view', jsonlFile]), cli(['view', kopsFile])]);
    expect(a.code, a.stderr).toBe(0);
    const names = (out: string) => out.split('\n').slice(2).map((l) => l.replace(/\s+\S+$/, '').replace(/█/g, '').trim()).filter(Boolean);
    expect(names(a.stdout)).toHaveLength(4);
    expect(a.stdout).toMatch(/^job package\.name=fixture/m);
    expect(a.stdout).toMatch(/^ *[├└]─✗ publish/m);
    expect(a.stdout).toMatch(/GET path=\/items\/7 status=200/);
    // The kops file holds the same kind of trace (its own ids and times).
    expect(b.stdout.split('\n').slice(2).map((l) => l.replace(/[█\d.]+(ms|µs|s)?/g, '').trim())).toEqual(
      a.stdout.split('\n').slice(2).map((l) => l.replace(/[█\d.]+(ms|µs|s)?/g, '').trim()),
    );
    const damaged = path.join(tmp, 'view-damaged.jsonl');
    fs.writeFileSync(damaged, `not json\n${fs.readFileSync(jsonlFile, 'utf8')}`);
    const c = await cli(['view', damaged]);
    expect(c.code).toBe(0);
    expect(c.stderr).toContain(`${damaged}: line 1: invalid JSON`);
    expect(c.stdout).toMatch(/^job /m);
  });

  it('shows where a client span went: host and path of its URL, without credentials or query', async () => {
    // An http.get client span as the agent records it: named by the method, no url.path.
    const attr = (key: string, value: string | number) => ({ key, value: typeof value === 'number' ? { intValue: value } : { stringValue: value } });
    const clientSpan = {
      traceId: '6b8efff798038103d269b633813fc60c',
      spanId: '2000000000000001',
      name: 'GET',
      kind: 3,
      startTimeUnixNano: '1763700000000000000',
      endTimeUnixNano: '1763700000050000000',
      attributes: [attr('http.request.method', 'GET'), attr('url.full', 'https://REDACTED:REDACTED@api.example.com:8443/v1/items?api_key=REDACTED&q=secret-ish'), attr('server.address', 'api.example.com'), attr('http.response.status_code', 200)],
    };
    const file = path.join(tmp, 'client.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'http' }, spans: [clientSpan] }] }] })}\n`);
    const result = await cli(['view', file, '--width', '120']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^GET url=api\.example\.com:8443\/v1\/items status=200 /m);
    expect(result.stdout).not.toMatch(/REDACTED|secret-ish/);
  });

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  it.skipIf(!chromium)('writes one self-contained HTML page that renders the waterfall in Chromium', async () => {
    const html = path.join(tmp, 'trace.html');
    const result = await cli(['view', jsonlFile, fixedTraceFile(), '--html', html]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('2 traces, 9 spans');
    const page = fs.readFileSync(html, 'utf8');
    // Self-contained: no external script, style, image or font.
    expect(page).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(page).not.toMatch(/url\(/);
    const profile = fs.mkdtempSync(path.join(tmp, 'chromium-'));
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`];
    const url = `${pathToFileURL(html).href}#span=1000000000000003`;
    const dom = spawnSync(chromium!, [...flags, '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
    expect(dom.status, dom.stderr).toBe(0);
    // Rows exist only if the page's script ran: the names below come from the embedded JSON.
    // #span= opened that span's trace (of the two) as a waterfall.
    const rowNames = [...dom.stdout.matchAll(/<span class="text">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(rowNames).toEqual(['runner', 'create VMI', 'wait for VMI', 'GET', 'cleanup']);
    expect(dom.stdout.match(/class="row( error)?( selected)?"/g)?.length).toBe(5);
    // #span= opened that span's details: its attributes and resource are in the side panel.
    expect(dom.stdout).toMatch(/<aside id="details"><h2>wait for VMI<\/h2>/);
    expect(dom.stdout).toContain('error: timeout');
    // Without a span in the address: the index of both traces, by start time.
    const index = spawnSync(chromium!, [...flags, '--dump-dom', pathToFileURL(html).href], { encoding: 'utf8', timeout: 60_000 });
    expect(index.status, index.stderr).toBe(0);
    expect(index.stdout.match(/<tr class="trace-row( error)?"/g)?.length).toBe(2);
    expect(index.stdout).toMatch(/<td>runner<\/td><td>runner<\/td>/);
    expect(index.stdout).toMatch(/<td>job<\/td><td>fixture<\/td>/);
    expect(index.stdout).not.toMatch(/class="row/);
    const png = path.join(tmp, 'trace.png');
    const shot = spawnSync(chromium!, [...flags, `--screenshot=${png}`, '--window-size=1200,900', url], { encoding: 'utf8', timeout: 60_000 });
    expect(shot.status, shot.stderr).toBe(0);
    const bytes = fs.readFileSync(png);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(1200); // IHDR width
    expect(bytes.length).toBeGreaterThan(20_000); // a blank page compresses to a few KB
    if (process.env.OTEL_AGENT_KEEP_SCREENSHOT) fs.copyFileSync(png, process.env.OTEL_AGENT_KEEP_SCREENSHOT);
  });
  it.skipIf(!chromium)('indents a deep parent chain in the HTML page for 12 levels, then shows the depth as a number', async () => {
    const id = (i: number) => (0x3000000000000000n + BigInt(i + 1)).toString(16);
    const t0 = '1763700000000000000';
    const spans = Array.from({ length: 40 }, (_, i) => ({ traceId: '7b8efff798038103d269b633813fc60c', spanId: id(i), ...(i > 0 ? { parentSpanId: id(i - 1) } : {}), name: `s${i}`, startTimeUnixNano: t0, endTimeUnixNano: t0 }));
    const file = path.join(tmp, 'deep-chain.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] })}\n`);
    const html = path.join(tmp, 'deep-chain.html');
    expect((await cli(['view', file, '--html', html])).code).toBe(0);
    const profile = fs.mkdtempSync(path.join(tmp, 'chromium-'));
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`];
    const dom = spawnSync(chromium!, [...flags, '--dump-dom', `${pathToFileURL(html).href}#span=${id(39)}`], { encoding: 'utf8', timeout: 60_000 });
    expect(dom.status, dom.stderr).toBe(0);
    const paddings = [...dom.stdout.matchAll(/padding-left: (\d+)px/g)].map((m) => Number(m[1]));
    expect(paddings).toHaveLength(40);
    expect(Math.max(...paddings)).toBe(4 + 12 * 16);
    expect([...dom.stdout.matchAll(/<span class="depth">\[(\d+)\] <\/span>/g)].map((m) => Number(m[1]))).toEqual(Array.from({ length: 27 }, (_, i) => i + 13));
  });
  if (!chromium) console.log('chromium not found (/usr/bin/chromium): the HTML view test is skipped; install it with apt-get install chromium');
});

describe('otel-agent view and replay on hostile trace files', () => {
  const T0 = '1763700000000000000';
  const span = (extra: object = {}) => ({ traceId: '5b8efff798038103d269b633813fc60c', spanId: '1000000000000001', name: 'ok', kind: 1, startTimeUnixNano: T0, endTimeUnixNano: T0, ...extra });
  const doc = (spans: object[]) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] });
  const write = (name: string, text: string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, `${text}\n`);
    return file;
  };
  const deepValue = (levels: number) => '{"arrayValue":{"values":['.repeat(levels) + '{"stringValue":"leaf"}' + ']}}'.repeat(levels);

  it('reports JSON-valid damage as a problem line naming the span, never a stack trace', async () => {
    const cases: [string, object | string, RegExp][] = [
      ['name-number', span({ name: 42 }), /span 1: name is not a string: 42; skipped/],
      ['name-object', span({ name: { a: 1 } }), /span 1: name is not a string: (an object|\{"a":1\}); skipped/],
      ['time-range', span({ startTimeUnixNano: '99999999999999999999999' }), /span 1: startTimeUnixNano 99999999999999999999999 is out of range/],
      ['time-huge-number', span({ endTimeUnixNano: 1e300 }), /span 1: endTimeUnixNano 1e\+300 is out of range/],
      ['events-not-list', span({ events: 5 }), /span 1: events is not a list: 5; skipped/],
      ['deep-value', doc([span()]).replace('"kind":1', `"kind":1,"attributes":[{"key":"d","value":${deepValue(3000)}}]`), /span 1: attribute value nested deeper than 100 levels; skipped/],
    ];
    for (const [name, content, problem] of cases) {
      const file = write(`hostile-${name}.jsonl`, typeof content === 'string' ? content : doc([content, span({ spanId: '1000000000000002', name: 'neighbour' })]));
      const viewed = await cli(['view', file]);
      expect(viewed.stderr, name).toMatch(problem);
      expect(viewed.stderr, name).not.toMatch(/\n\s+at /);
      for (const html of [false, true]) {
        const r = html ? await cli(['view', file, '--html', path.join(tmp, `${name}.html`)]) : viewed;
        expect(r.stderr, name).not.toMatch(/Error|\n\s+at /);
        // The neighbour is shown; a file whose only span is damaged has no spans: exit 1 as for other bad input.
        if (typeof content === 'string') expect(r.code, name).toBe(1);
        else expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      }
      if (typeof content !== 'string') expect(viewed.stdout, name).toMatch(/^neighbour /m);
      const replayed = await cli(['replay', file, '--endpoint', receiver.httpUrl, '--protocol', 'http/protobuf']);
      expect(replayed.stderr, name).toMatch(problem);
      expect(replayed.stderr, name).not.toMatch(/\n\s+at /);
    }
  });

  it('escapes control characters from the file in everything it writes to the terminal', async () => {
    const nasty = 'a\x1b]52;c;aGVsbG8=\x07b\x1b]0;title\x07\x1b[2J\x1b[31m\u009b2J\u202e';
    const file = write('hostile-escapes.jsonl', doc([span({ name: nasty, attributes: [{ key: 'url.path', value: { stringValue: `/x${nasty}` } }] }), span({ spanId: '1000000000000002', name: 7 })]));
    const dir = path.join(tmp, 'dir\x1b[2J');
    fs.mkdirSync(dir, { recursive: true });
    const hostileName = path.join(dir, 'f.jsonl');
    fs.copyFileSync(file, hostileName);
    for (const env of [{}, { FORCE_COLOR: '1' }]) {
      const r = await cli(['view', file, hostileName, '--width', '300'], { env });
      expect(r.code, r.stderr).toBe(0);
      // Only SGR color sequences (ESC [ digits m) may reach the terminal, and only when colors are on.
      expect(r.stdout.replace(/\x1b\[\d+m/g, '')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
      expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
      expect(r.stdout).toContain('a\\x1b]52;c;aGVsbG8=\\x07b\\x1b]0;title\\x07\\x1b[2J');
      expect(r.stderr).toContain('dir\\x1b[2J');
    }
    const replayed = await cli(['replay', hostileName, '--endpoint', receiver.httpUrl]);
    expect(replayed.stderr).toContain('dir\\x1b[2J');
    expect(replayed.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it('names the path and exits 1 for a missing file and a directory without files, as for an unreadable file', async () => {
    const missing = path.join(tmp, 'no-such-file.jsonl');
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const good = write('good.jsonl', doc([span()]));
    const a = await cli(['view', missing]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(`${missing}: cannot read: ENOENT`);
    const b = await cli(['view', empty]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`no spans in ${empty} (no files in it)`);
    // What can be read is shown, and the missing file still fails the command, as in replay.
    const c = await cli(['view', good, missing]);
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/^ok /m);
    const d = await cli(['replay', missing, '--endpoint', receiver.httpUrl]);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain(`${missing}: cannot read: ENOENT`);
    expect(d.stdout).toContain('1 file (1 unreadable)');
    const e = await cli(['replay', empty, '--endpoint', receiver.httpUrl]);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain(`no files in ${empty}`);
    // Usage errors stay 2.
    expect((await cli(['view'])).code).toBe(2);
    expect((await cli(['view', good, '--width', 'x'])).code).toBe(2);
  });

  it('shows a trace of 150000 spans (more lines than one push(...lines) call takes)', async () => {
    const spans = Array.from({ length: 150_000 }, (_, i) => ({ traceId: '5b8efff798038103d269b633813fc60c', spanId: (0x1000000000000000n + BigInt(i + 1)).toString(16), name: 'n', startTimeUnixNano: T0 }));
    const file = write('hostile-many.jsonl', doc(spans));
    const r = await cli(['view', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('n ')).length).toBe(150_000);
  });

  it('draws a 20000-span parent chain with bounded guides: the depth as a number past 12 levels', async () => {
    const id = (i: number) => (0x1000000000000000n + BigInt(i + 1)).toString(16);
    const chain = Array.from({ length: 20_000 }, (_, i) => span({ spanId: id(i), name: `s${i}`, ...(i > 0 ? { parentSpanId: id(i - 1) } : {}) }));
    const file = write('hostile-chain.jsonl', doc(chain));
    const r = await cli(['view', file, '--width', '120']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[2]).toMatch(/^s0 /);
    expect(lines[3]).toMatch(/^└─s1 /);
    expect(lines[14]).toMatch(/^ {22}└─s12 /);
    expect(lines[15]).toMatch(/^ {22}\[13\]─s13 /);
    expect(lines[2 + 19_999]).toMatch(/^ {22}\[19999\]─s19999 /);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(120);
  });
});

describe('otel-agent run', () => {
  it('passes the exit code through', async () => {
    const result = await cli(['run', '--', process.execPath, '-e', 'process.exitCode = 7']);
    expect(result).toMatchObject({ code: 7, signal: null });
  });

  it('dies of the signal the command died of', async () => {
    // From the event loop: a signal raised while the main script is still being evaluated is a
    // separate case, handled (or not) by the agent's lifecycle, not by `run`.
    const result = await cli(['run', '--', process.execPath, '-e', 'setTimeout(() => process.kill(process.pid, "SIGTERM"), 10); setInterval(() => {}, 1000)']);
    expect(result).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('forwards SIGTERM and SIGINT to the command', async () => {
    const script = 'process.on("SIGINT", () => { console.log("got SIGINT"); process.exit(42); }); console.log("ready"); setInterval(() => {}, 1000);';
    for (const [signal, expected] of [['SIGINT', { code: 42, signal: null }], ['SIGTERM', { code: null, signal: 'SIGTERM' }]] as const) {
      const { child, done } = startCli(['run', '--', process.execPath, '-e', script]);
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
      child.kill(signal);
      const result = await done;
      expect(result, `${signal}: ${result.stderr}`).toMatchObject(expected);
    }
  });

  it('warns about a bad option value itself, also when the command starts no Node process', async () => {
    const result = await cli(['run', '--protocol', 'http/xml', '--endpoint', receiver.httpUrl, '--', 'true']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('[otel-agent] warning: OTEL_EXPORTER_OTLP_PROTOCOL="http/xml" is not one of http/protobuf, http/json, grpc; using http/protobuf (set by --protocol)\n');
  });

  it('says when the command does not exist (127)', async () => {
    const result = await cli(['run', '--', 'no-such-command-otel-agent']);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('cannot run no-such-command-otel-agent: command not found');
    const usage = await cli(['run']);
    expect(usage.code).toBe(2);
  });

  it('traces the whole process tree: spans from the command and the Node process it starts arrive', async () => {
    // No node_modules link to the agent here: `run` must find it by itself.
    const dir = fs.mkdtempSync(path.join(tmp, 'tree-'));
    fs.writeFileSync(
      path.join(dir, 'parent.js'),
      `const http = require('node:http');
       const { spawn } = require('node:child_process');
       const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
         const child = spawn(process.execPath, ['child.js', String(server.address().port)], { stdio: 'inherit' });
         child.on('exit', (code) => { server.close(); process.exitCode = code; });
       });`,
    );
    fs.writeFileSync(
      path.join(dir, 'child.js'),
      `console.log('NODE_OPTIONS=' + process.env.NODE_OPTIONS);
       fetch('http://127.0.0.1:' + process.argv[2] + '/from-child').then(() => process.exit(3));`,
    );
    const result = await cli(['run', '--service-name', 'tree', '--endpoint', receiver.httpUrl, '--', process.execPath, 'parent.js'], {
      cwd: dir,
      env: { NODE_OPTIONS: '--max-old-space-size=300' },
    });
    expect(result.code, result.stderr).toBe(3);
    // The caller's NODE_OPTIONS is kept, the agent added once, and inherited unchanged by the grandchild.
    expect(result.stdout).toContain(`NODE_OPTIONS=--max-old-space-size=300 --import ${pathToFileURL(path.join(REPO_ROOT, 'dist', 'register.js')).href}\n`);
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.kind === 2) && s.some((x) => x.kind === 3 && x.name === 'GET'));
    const server = spans.find((s) => s.kind === 2)!;
    const client = spans.find((s) => s.kind === 3 && s.name === 'GET')!;
    expect(server.resource['service.name']).toBe('tree');
    expect(client.resource['service.name']).toBe('tree');
    expect(server.resource['process.pid']).not.toBe(client.resource['process.pid']);
    expect(server.parentSpanId).toBe(client.spanId);
  });

  it('writes a trace file with --file, which view and replay read', async () => {
    const dir = makeAppDir({ 'app.js': FIXTURE_APP }, ['@opentelemetry/api']);
    const file = path.join(dir, 'out', 'trace.otel');
    fs.mkdirSync(path.dirname(file));
    const result = await cli(['run', '--file', 'out/trace.otel', '--format', 'kops', '--', process.execPath, 'app.js'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(readTraceFile(file)).toMatchObject({ format: 'kops', errors: [] });
    // The app's 4 spans, below its process span, below the command's span: one trace.
    const spans = spansInFile(file);
    expect(spans).toHaveLength(6);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const root = spans.find((s) => s.parentSpanId === undefined)!;
    expect(root).toMatchObject({ name: 'node', resource: { 'service.name': 'node' } });
    expect(root.attributes).toMatchObject({ 'process.command_args': [process.execPath, 'app.js'], 'process.exit.code': 0 });
    expect(spans.find((s) => s.parentSpanId === root.spanId)?.name).toBe('app.js');
  });
});

describe('otel-agent doctor', () => {
  it('shows settings with their sources and a reachable collector; exit 0', async () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_SERVICE_NAME: 'checkout',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20sekrit-token',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 'abc',
    };
    const text = await cli(['doctor'], { env });
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Node\.js +ok +Node\.js \d+\.\d+\.\d+ is supported/m);
    expect(text.stdout).toMatch(/^ +service\.name +checkout +OTEL_SERVICE_NAME$/m);
    expect(text.stdout).toMatch(/^ +otlp endpoint +http:\/\/127\.0\.0\.1:\d+\/v1\/traces +OTEL_EXPORTER_OTLP_ENDPOINT$/m);
    expect(text.stdout).toMatch(/^ +otlp headers +authorization=<redacted> +OTEL_EXPORTER_OTLP_HEADERS$/m);
    expect(text.stdout).toMatch(/^ +sampler +traceidratio 1 +OTEL_TRACES_SAMPLER$/m);
    expect(text.stdout).toContain('! OTEL_TRACES_SAMPLER_ARG="abc" is not a number from 0 to 1; using 1');
    expect(text.stdout).toMatch(/ok +OTLP http\/protobuf http:\/\/127\.0\.0\.1:\d+\/v1\/traces: answered HTTP 200/);
    expect(text.stdout).toMatch(/Instrumentations that apply here \(\d+;[^\n]*\n +amqplib, aws-sdk,/);
    expect(text.stdout).toContain('Tracing works as configured.');
    expect(text.stdout).not.toContain('sekrit');
    // The probe was an empty export: the collector saw a request, and no span.
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.at(-1)!.headers.authorization).toBe('Bearer sekrit-token');
    expect(receiver.spans).toEqual([]);

    const json = await cli(['doctor', '--json'], { env });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: true, enabled: true, node: { ok: true }, problems: [] });
    expect(report.settings).toContainEqual({ setting: 'service.name', value: 'checkout', from: 'OTEL_SERVICE_NAME' });
    expect(report.destinations).toEqual([{ kind: 'otlp', target: `OTLP http/protobuf ${receiver.httpUrl}/v1/traces`, check: { ok: true, message: expect.stringMatching(/^answered HTTP 200/) } }]);
    expect(report.instrumentations).toContain('http');
    expect(report.instrumentations).not.toContain('fs'); // off by default
    expect(json.stdout).not.toContain('sekrit');
  });

  it('shows the service name programs here would get, and counts the instrumentations that apply as the list does', async () => {
    const app = fs.mkdtempSync(path.join(tmp, 'doctor-app-'));
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'shop-api' }));
    const env = { OTEL_TRACES_EXPORTER: 'none' };
    const named = JSON.parse((await cli(['doctor', '--json'], { env, cwd: app })).stdout);
    expect(named.settings).toContainEqual({ setting: 'service.name', value: 'shop-api', from: expect.stringMatching(/^default \("name" of the package\.json/) });
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-bare-'));
    try {
      const unnamed = JSON.parse((await cli(['doctor', '--json'], { env, cwd: bare })).stdout);
      expect(unnamed.settings).toContainEqual({ setting: 'service.name', value: 'unknown_service:node', from: expect.stringMatching(/^default \(no package\.json/) });
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
    const text = (await cli(['doctor'], { env, cwd: app })).stdout;
    const header = Number(/Instrumentations that apply here \((\d+);/.exec(text)![1]);
    // aws-lambda is enabled by default but applies only inside Lambda.
    expect(text).toMatch(new RegExp(`^ +instrumentations +${header} apply here \\(${header + 1} enabled; not here: aws-lambda\\)`, 'm'));
  });

  it('fails (exit 1) on an unreachable collector, within its timeout, with credentials hidden', async () => {
    const started = Date.now();
    const result = await cli(['doctor', '--json', '--timeout', '1500'], { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://user:pw@127.0.0.1:9/v1/traces' } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^OTLP http\/protobuf http:\/\/<redacted>@127\.0\.0\.1:9\/v1\/traces: cannot connect: ECONNREFUSED/)]);
    expect(result.stdout).not.toContain('pw@');
  });

  it('a configuration file or TLS file that never ends (/dev/zero, a FIFO) is reported, not read forever', async () => {
    const fifo = path.join(tmp, 'doctor-cert.fifo');
    execFileSync('mkfifo', [fifo]);
    const config = await cli(['doctor', '--json', '--timeout', '500'], { env: { OTEL_CONFIG_FILE: '/dev/zero' } });
    expect(config.code).toBe(1);
    expect(JSON.parse(config.stdout).problems).toEqual([expect.stringMatching(/OTEL_CONFIG_FILE \/dev\/zero: cannot be read \(not a regular file\)/)]);
    const tls = await cli(['doctor', '--json', '--timeout', '500'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_EXPORTER_OTLP_CERTIFICATE: '/dev/zero', OTEL_EXPORTER_OTLP_CLIENT_KEY: fifo } });
    expect(tls.code).toBe(1);
    expect(JSON.parse(tls.stdout).problems).toEqual([
      expect.stringMatching(/OTEL_EXPORTER_OTLP_\[TRACES_\]CERTIFICATE=\/dev\/zero cannot be read \(not a regular file\); OTEL_EXPORTER_OTLP_\[TRACES_\]CLIENT_KEY=\S+doctor-cert\.fifo cannot be read \(not a regular file\)/),
    ]);
  });

  it("checks the TLS files of a configuration file's tls block, as the exporter reads them", async () => {
    const file = path.join(tmp, 'doctor-tls.yaml');
    fs.writeFileSync(file, `file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n          otlp_http:\n            endpoint: ${receiver.httpUrl}/v1/traces\n            tls:\n              ca_file: /dev/zero\n`);
    const result = await cli(['doctor', '--json', '--timeout', '500'], { env: { OTEL_CONFIG_FILE: file } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/OTEL_EXPORTER_OTLP_\[TRACES_\]CERTIFICATE=\/dev\/zero cannot be read \(not a regular file\)/);
  });

  it('checks trace files without creating them', async () => {
    const file = path.join(tmp, 'doctor', 'never-created.jsonl');
    const missingDir = await cli(['doctor'], { env: { OTEL_EXPORTER_OTLP_TRACES_FILE: file } });
    expect(missingDir.code).toBe(1);
    expect(missingDir.stdout).toContain(`directory ${path.dirname(file)} does not exist`);
    fs.mkdirSync(path.dirname(file));
    const ok = await cli(['doctor'], { env: { OTEL_EXPORTER_OTLP_TRACES_FILE: file, OTEL_AGENT_TRACE_FILE_FORMAT: 'kops' } });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^ +trace file +\S+never-created\.jsonl +OTEL_EXPORTER_OTLP_TRACES_FILE$/m);
    expect(ok.stdout).toMatch(/^ +trace file format +kops +OTEL_AGENT_TRACE_FILE_FORMAT$/m);
    expect(ok.stdout).toContain('will be created in writable');
    expect(fs.existsSync(file)).toBe(false);
    const dirAsFile = await cli(['doctor'], { env: { OTEL_EXPORTER_OTLP_TRACES_FILE: tmp } });
    expect(dirAsFile.code).toBe(1);
    expect(dirAsFile.stdout).toContain('is a directory');
  });

  it('reports a switched-off agent as off, not as an error', async () => {
    const result = await cli(['doctor'], { env: { KAR_TELEMETRY_ENABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Agent +off +switched off by KAR_TELEMETRY_ENABLED=false/m);
    expect(result.stdout).toMatch(/^ +enabled +false \(KAR_TELEMETRY_ENABLED=false\) +KAR_TELEMETRY_ENABLED$/m);
    expect(result.stdout).toContain('The agent is off; nothing to check.');
  });

  it('names KubeVirt runner and Jaeger sources', async () => {
    const result = await cli(['doctor', '--json', '--timeout', '500'], {
      env: { KAR_TELEMETRY_ENABLED: 'true', KAR_TELEMETRY_SERVICE_NAME: 'runner-7', KAR_TELEMETRY_OTLP_ENDPOINT: receiver.httpUrl },
    });
    const report = JSON.parse(result.stdout);
    expect(report.settings).toContainEqual({ setting: 'service.name', value: 'runner-7', from: 'KAR_TELEMETRY_SERVICE_NAME' });
    expect(report.settings).toContainEqual({ setting: 'otlp endpoint', value: `${receiver.httpUrl}/v1/traces`, from: 'KAR_TELEMETRY_OTLP_ENDPOINT' });
    expect(result.code).toBe(0);
  });
});
