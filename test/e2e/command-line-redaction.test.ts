// A runner's secret on node's command line (`node --require @org/otel-agent runner.js -c SECRET`) reaches no span and no resource.
import { describe, expect, it } from 'vitest';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp } from '../helpers/run-app';

const receiver = sharedReceiver();
const SECRET = 'c2VjcmV0LWppdC1jb25maWc';

const RUNNER = `
const { trace } = require('@opentelemetry/api');
trace.getTracer('runner').startSpan('runner-work').end();
console.log('runner', process.argv.slice(2).length);
`;

describe('the node command line is redacted by its script\'s rules', () => {
  it.each(['require', 'import'] as const)('node --%s @org/otel-agent runner.js -c SECRET: process.command_args of the resource and the process span', async (preload) => {
    const run = await runApp({
      files: { 'runner.js': RUNNER },
      entry: 'runner.js',
      preload,
      args: ['-c', SECRET],
      packages: ['@opentelemetry/api'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_AGENT_PROCESS_SPAN: 'true' },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('runner 2\n');
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'runner-work') && s.some((x) => x.name === 'runner.js'));
    const resourceArgs = spans[0].resource['process.command_args'] as string[];
    expect(resourceArgs.slice(1)).toEqual([`--${preload}`, '@org/otel-agent', expect.stringMatching(/runner\.js$/), '-c', '<redacted>']);
    expect(spans.find((s) => s.name === 'runner.js')!.attributes['process.command_args']).toEqual([expect.any(String), expect.stringMatching(/runner\.js$/), '-c', '<redacted>']);
    expect(JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(SECRET);
  });

  it('child-process spans of `node runner.js -c X` (spawn) and fork(\'runner.js\', [\'-c\', X])', async () => {
    const parent = `
const cp = require('child_process');
const a = cp.spawn(process.execPath, ['runner.js', '-c', ${JSON.stringify(SECRET)}], { stdio: 'inherit' });
a.on('exit', () => {
  const b = cp.fork('runner.js', ['-c', ${JSON.stringify(SECRET)}]);
  b.on('exit', () => console.log('parent done'));
});
`;
    const run = await runApp({
      files: { 'parent.js': parent, 'runner.js': RUNNER },
      entry: 'parent.js',
      packages: ['@opentelemetry/api'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('runner 2\nrunner 2\nparent done\n');
    const spans = await receiver.waitForSpans((s) => s.filter((x) => x.kind === 3).length >= 2 && s.some((x) => x.name === 'runner-work'));
    const children = spans.filter((s) => s.kind === 3);
    const args = children.map((s) => s.attributes['process.command_args'] as string[]);
    expect(args).toHaveLength(2);
    for (const a of args) expect(a.slice(-3)).toEqual([expect.stringMatching(/runner\.js$/), '-c', '<redacted>']);
    expect(JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(SECRET);
  });
});
