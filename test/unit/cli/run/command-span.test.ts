// `otel-agent run`'s command span: its name, the command's file and package, and when there is none.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandPackage, commandSpanName, resolveExecutable, startCommandSpan } from '../../../../src/cli/run/command-span';

describe('command span', () => {
  it('is named after the program and its subcommand, never a path, flag or value', () => {
    expect(commandSpanName('/usr/bin/npm', ['install', 'bars-dep'])).toBe('npm install');
    expect(commandSpanName('npm', ['run', 'build'])).toBe('npm run');
    expect(commandSpanName('make', ['test'])).toBe('make test');
    expect(commandSpanName('node', ['app.js'])).toBe('node');
    expect(commandSpanName('./build.sh', ['--fast'])).toBe('build.sh');
    expect(commandSpanName('kubectl', ['apply', '-f', 'x.yaml'])).toBe('kubectl apply');
    expect(commandSpanName('sh', ['-c', 'echo hi'])).toBe('sh');
  });

  it('finds the command on PATH and names the service after the real file\'s package, else the program', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-cmd-'));
    const real = path.join(root, 'lib', 'node_modules', 'tool', 'bin', 'tool.js');
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.writeFileSync(real, '#!/usr/bin/env node\n', { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'lib', 'node_modules', 'tool', 'package.json'), JSON.stringify({ name: 'tool', version: '2.0.0' }));
    fs.mkdirSync(path.join(root, 'bin'));
    fs.symlinkSync(real, path.join(root, 'bin', 'tool'));
    const env = { PATH: ['/nonexistent', path.join(root, 'bin')].join(path.delimiter) };
    expect(resolveExecutable('tool', env)).toBe(path.join(root, 'bin', 'tool'));
    expect(resolveExecutable('no-such-tool', env)).toBeUndefined();
    expect(commandPackage('tool', env)).toEqual({ name: 'tool', version: '2.0.0' });
    expect(commandPackage('no-such-tool', env, root)).toEqual({ name: 'no-such-tool' });
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('is not made when tracing is off: the command gets its environment unchanged', () => {
    expect(startCommandSpan('true', [], { OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(startCommandSpan('true', [], { OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('passes its context to the command in TRACEPARENT, replacing an inherited one', async () => {
    const inherited = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const span = startCommandSpan('true', [], { OTEL_TRACES_EXPORTER: 'console', TRACEPARENT: inherited, TRACESTATE: 'vendor=x', OTEL_SERVICE_NAME: 'svc' })!;
    expect(span.env.TRACEPARENT).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(span.env.TRACEPARENT).not.toBe(inherited);
    expect(span.env.TRACESTATE).toBe('vendor=x');
    expect(span.env.OTEL_SERVICE_NAME).toBe('svc');
    // Ending twice (an 'error' after 'exit') is the same single end.
    const first = span.end({ exitCode: 3 });
    expect(span.end({ exitCode: 3 })).toBe(first);
    await first;
  });
});
