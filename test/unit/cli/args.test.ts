// Tests for the CLI's pure parts: argument parsing, the NODE_OPTIONS preload, redaction, the doctor's setting sources, durations.
import { describe, it, expect } from 'vitest';
import { parseArgs, parseKeyValues, UsageError } from '../../../src/cli/args';
import { commandEnv, registerUrl, withAgentPreload } from '../../../src/cli/run';
import { redactHeaders, redactUrl } from '../../../src/cli/redact';
import { settingRows } from '../../../src/cli/doctor/settings';
import { checkNode } from '../../../src/cli/doctor/checks';
import { formatDuration } from '../../../src/cli/view/format';
import { resolveConfig } from '../../../src/config';
import { INSTRUMENTATIONS } from '../../../src/instrumentations/registry';

describe('parseArgs', () => {
  const spec = { endpoint: { type: 'string' as const }, json: { type: 'boolean' as const }, help: { type: 'boolean' as const, short: 'h' } };
  it('reads --name value, --name=value, flags and positionals', () => {
    expect(parseArgs(['a.jsonl', '--endpoint', 'http://x', '--json', 'dir'], spec)).toEqual({ options: { endpoint: 'http://x', json: true }, positionals: ['a.jsonl', 'dir'], rest: [] });
    expect(parseArgs(['--endpoint=http://y', '-h'], spec).options).toEqual({ endpoint: 'http://y', help: true });
  });
  it('stops at -- and, for run, at the first positional', () => {
    expect(parseArgs(['--json', '--', 'node', '--inspect', 'app.js'], spec).rest).toEqual(['node', '--inspect', 'app.js']);
    expect(parseArgs(['--json', 'node', '--inspect'], spec, true)).toEqual({ options: { json: true }, positionals: [], rest: ['node', '--inspect'] });
  });
  it('rejects unknown options and missing values', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--endpoint'], spec)).toThrow(/needs a value/);
    expect(() => parseArgs(['--json=1'], spec)).toThrow(/takes no value/);
  });
  it('parses percent-encoded key=value lists', () => {
    expect(parseKeyValues('authorization=Bearer%20abc, x-team = a%2Cb', '--headers')).toEqual({ authorization: 'Bearer abc', 'x-team': 'a,b' });
    expect(() => parseKeyValues('novalue', '--headers')).toThrow(/key=value/);
  });
});

describe('run: NODE_OPTIONS', () => {
  const url = registerUrl();
  it('adds --import of dist/register.js as a file URL, keeping what was there', () => {
    expect(url).toMatch(/^file:\/\/\/.*\/register\.js$/); // dist/ when built, src/ under vitest
    expect(withAgentPreload(undefined)).toBe(`--import ${url}`);
    expect(withAgentPreload('--max-old-space-size=200 --enable-source-maps')).toBe(`--max-old-space-size=200 --enable-source-maps --import ${url}`);
  });
  it('does not add it twice', () => {
    for (const existing of [`--import ${url}`, `--import=${url}`, '--import @org/otel-agent', '--require @org/otel-agent/register', '-r @org/otel-agent']) {
      expect(withAgentPreload(existing)).toBe(existing);
    }
    expect(withAgentPreload(withAgentPreload('--trace-warnings'))).toBe(`--trace-warnings --import ${url}`);
  });
  it('maps options to variables; --file becomes absolute and selects file output', () => {
    const parsed = parseArgs(['--service-name', 'ci', '--file', 'out/t.jsonl', '--format', 'kops', '--process-span', '--', 'npm', 'test'], {
      'service-name': { type: 'string' }, file: { type: 'string' }, format: { type: 'string' }, 'process-span': { type: 'boolean' },
    });
    const env = commandEnv(parsed, { OTEL_TRACES_EXPORTER: 'console', PATH: '/bin' }, '/work');
    expect(env).toMatchObject({
      OTEL_SERVICE_NAME: 'ci',
      OTEL_EXPORTER_OTLP_TRACES_FILE: '/work/out/t.jsonl',
      OTEL_AGENT_TRACE_FILE_FORMAT: 'kops',
      OTEL_AGENT_PROCESS_SPAN: 'on',
      OTEL_TRACES_EXPORTER: 'otlp/file',
      PATH: '/bin',
      NODE_OPTIONS: `--import ${url}`,
    });
  });
});

describe('redaction', () => {
  it('hides URL credentials and secret-looking query parameters', () => {
    expect(redactUrl('https://user:s3cret@collector:4318/v1/traces')).toBe('https://<redacted>@collector:4318/v1/traces');
    expect(redactUrl('http://c:4318/v1/traces?api_key=abc&region=eu')).toBe('http://c:4318/v1/traces?api_key=<redacted>&region=eu');
    expect(redactUrl('http://localhost:4318')).toBe('http://localhost:4318');
    expect(redactHeaders({ authorization: 'Bearer x', 'x-api-key': 'y' })).toBe('authorization=<redacted>,x-api-key=<redacted>');
  });
});

describe('doctor: settings and their sources', () => {
  const rows = (env: Record<string, string>) => {
    const { config, rejected = [] } = resolveConfig(env, { knownInstrumentations: INSTRUMENTATIONS });
    return Object.fromEntries(settingRows(config, env, rejected).map((r) => [r.setting, r]));
  };
  it('names the variable of each setting, and default otherwise', () => {
    const r = rows({ OTEL_SERVICE_NAME: 'checkout', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
    expect(r['service.name']).toEqual({ setting: 'service.name', value: 'checkout', from: 'OTEL_SERVICE_NAME' });
    expect(r['otlp endpoint']).toMatchObject({ value: 'http://c:4318/v1/traces', from: 'OTEL_EXPORTER_OTLP_ENDPOINT' });
    expect(r['otlp protocol']).toMatchObject({ value: 'http/protobuf', from: 'default' });
    expect(r['batch: max queue size']).toMatchObject({ value: '100', from: 'OTEL_BSP_MAX_QUEUE_SIZE' });
    expect(r['batch: max export batch size']).toMatchObject({ value: '100', from: 'default' });
    expect(r['otlp timeout (ms)']).toMatchObject({ value: '500', from: 'OTEL_EXPORTER_OTLP_TIMEOUT' });
    expect(r.propagators).toMatchObject({ value: 'tracecontext,baggage', from: 'default' });
  });
  it('says when a bad value made the default apply, and when a generic variable stood in for a bad specific one', () => {
    const r = rows({ OTEL_BSP_SCHEDULE_DELAY: 'soon', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: 'x', OTEL_EXPORTER_OTLP_TIMEOUT: '700' });
    expect(r['batch: schedule delay (ms)']).toMatchObject({ value: '5000', from: 'default (OTEL_BSP_SCHEDULE_DELAY is invalid)' });
    expect(r['otlp timeout (ms)']).toMatchObject({ value: '700', from: 'OTEL_EXPORTER_OTLP_TIMEOUT (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT is invalid)' });
  });
  it('covers the KubeVirt runner, kops and Jaeger sources, with secrets redacted', () => {
    const kar = rows({ KAR_TELEMETRY_ENABLED: 'true', KAR_TELEMETRY_OTLP_ENDPOINT: 'http://kar:4318' });
    expect(kar['service.name']).toMatchObject({ value: 'kubevirt-actions-runner', from: 'default (KubeVirt runner)' });
    expect(kar['otlp endpoint']).toMatchObject({ value: 'http://kar:4318/v1/traces', from: 'KAR_TELEMETRY_OTLP_ENDPOINT' });
    expect(kar['traces exporter']).toMatchObject({ value: 'otlp', from: 'KAR_TELEMETRY_EXPORT_TYPE' });
    const kops = rows({ OTEL_EXPORTER_OTLP_TRACES_FILE: '/tmp/t.otel', OTEL_AGENT_TRACE_FILE_FORMAT: 'kops' });
    expect(kops['trace file']).toMatchObject({ value: '/tmp/t.otel', from: 'OTEL_EXPORTER_OTLP_TRACES_FILE' });
    expect(kops['trace file format']).toMatchObject({ value: 'kops', from: 'OTEL_AGENT_TRACE_FILE_FORMAT' });
    const jaeger = rows({ OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_JAEGER_ENDPOINT: 'http://jaeger:14268/api/traces', OTEL_EXPORTER_JAEGER_PASSWORD: 'hunter2' });
    expect(jaeger['otlp endpoint']).toMatchObject({ value: 'http://jaeger:4318/v1/traces', from: 'OTEL_EXPORTER_JAEGER_ENDPOINT (mapped)' });
    expect(jaeger['otlp headers']).toMatchObject({ value: 'Authorization=<redacted>', from: 'OTEL_EXPORTER_JAEGER_USER/PASSWORD (mapped)' });
    const secret = rows({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20tok123', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://u:pw@c/v1/traces' });
    expect(JSON.stringify(secret)).not.toMatch(/tok123|pw@/);
  });
});

describe('small formatters', () => {
  it('checks the Node version against 22.15', () => {
    expect(checkNode('22.15.0').ok).toBe(true);
    expect(checkNode('22.14.9').ok).toBe(false);
    expect(checkNode('20.19.0').message).toMatch(/not supported \(needs >= 22\.15\)/);
    expect(checkNode('24.0.0').ok).toBe(true);
  });
  it('formats durations with three significant digits', () => {
    expect([999n, 1_500n, 12_345_678n, 1_234_567_890n, 123_000_000_000n, 7_200_000_000_000n].map(formatDuration)).toEqual(['999ns', '1.50µs', '12.3ms', '1.23s', '2m03s', '2h00m']);
  });
});
