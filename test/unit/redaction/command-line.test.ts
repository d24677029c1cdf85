// Command lines (src/redaction/command-line.ts): node's script arguments by the script's rules, wrappers, program-specific attached flags.
import { describe, expect, it } from 'vitest';
import { REDACTED, nodeScriptIndex, redactCommand, redactNodeArgs, redactShellScript, wrappedCommandIndex } from '../../../src/redaction/index';

const R = REDACTED;

describe('node command lines', () => {
  it('finds the script after node\'s options, value options included', () => {
    expect(nodeScriptIndex(['--require', '@org/otel-agent', 'runner.js', '-c', 'x'])).toBe(2);
    expect(nodeScriptIndex(['--import=@org/otel-agent', '--max-old-space-size=512', 'app.mjs'])).toBe(2);
    expect(nodeScriptIndex(['-r', 'a', '--import', 'b', '--enable-source-maps', 'runner.js'])).toBe(5);
    expect(nodeScriptIndex(['--', 'runner.js'])).toBe(1);
    expect(nodeScriptIndex(['-e', 'console.log(1)', '-c', 'x'])).toBe(-1);
    expect(nodeScriptIndex(['--inspect'])).toBe(-1);
  });

  it('the runner\'s -c after --require is redacted (it was kept: the preload was taken for the script)', () => {
    expect(redactNodeArgs(['--require', '@org/otel-agent', 'runner.js', '-c', 'SECRETCONFIG'])).toEqual(['--require', '@org/otel-agent', 'runner.js', '-c', R]);
    expect(redactCommand('/usr/bin/node', ['runner.js', '-c', 'SECRETCONFIG'])).toEqual(['runner.js', '-c', R]);
    expect(redactCommand('node', ['--import', '@org/otel-agent', 'kar.mjs', '-cSECRET'])).toEqual(['--import', '@org/otel-agent', 'kar.mjs', `-c${R}`]);
    // fork('runner.js', ['-c', X]): execArgv, the module, its arguments.
    expect(redactCommand(process.execPath, ['--import', '@org/otel-agent', '/app/runner.js', '-c', 'X'])).toEqual(['--import', '@org/otel-agent', '/app/runner.js', '-c', R]);
  });

  it('other scripts keep -c; node\'s own options are not the script\'s', () => {
    expect(redactCommand('node', ['app.js', '-c', 'config.json'])).toEqual(['app.js', '-c', 'config.json']);
    expect(redactCommand('node', ['-c', 'runner.js'])).toEqual(['-c', 'runner.js']);
    expect(redactCommand('node', ['--env-file', '.env', 'app.js', '--token', 't'])).toEqual(['--env-file', '.env', 'app.js', '--token', R]);
  });

  it('in shell scripts, and under wrappers', () => {
    expect(redactShellScript('node runner.js -c SECRET && echo ok')).toBe(`node runner.js -c ${R} && echo ok`);
    expect(redactCommand('sh', ['-c', 'exec node --require @org/otel-agent runner.js -c SECRET'])).toEqual(['-c', `exec node --require @org/otel-agent runner.js -c ${R}`]);
    expect(redactCommand('timeout', ['60', 'node', 'runner.js', '-c', 'SECRET'])).toEqual(['60', 'node', 'runner.js', '-c', R]);
  });
});

describe('wrappers', () => {
  it('finds the wrapped command', () => {
    expect(wrappedCommandIndex(['timeout', '5', 'curl', '-u', 'x'])).toBe(2);
    expect(wrappedCommandIndex(['timeout', '-s', 'KILL', '5', 'curl'])).toBe(4);
    expect(wrappedCommandIndex(['nice', '-n', '5', 'curl'])).toBe(3);
    expect(wrappedCommandIndex(['sudo', '-u', 'bob', 'env', 'A=b', 'curl'])).toBe(5);
    expect(wrappedCommandIndex(['curl', '-u', 'x'])).toBe(0);
    expect(wrappedCommandIndex(['timeout', '5'])).toBe(-1);
  });

  it.each([
    ['timeout', ['5', 'curl', '-u', 'user:pw', 'https://x'], ['5', 'curl', '-u', R, 'https://x']],
    ['nice', ['-n', '10', 'curl', '-uuser:pw', 'https://x'], ['-n', '10', 'curl', `-u${R}`, 'https://x']],
    ['sudo', ['-u', 'bob', 'curl', '-u', 'user:pw', 'https://x'], ['-u', 'bob', 'curl', '-u', R, 'https://x']],
    ['env', ['A=b', 'curl', '--user', 'user:pw', 'https://x'], ['A=b', 'curl', '--user', R, 'https://x']],
    ['env', ['API_TOKEN=t', 'make'], [`API_TOKEN=${R}`, 'make']],
  ])('%s %j: the wrapped program\'s rules apply, the wrapper\'s own options stay', (file, args, expected) => {
    expect(redactCommand(file, args)).toEqual(expected);
  });

  it('the same inside shell scripts', () => {
    expect(redactShellScript('timeout 5 curl -u user:pw https://x; sudo -u bob curl -uuser:pw https://y; nice curl -u a:b z')).toBe(
      `timeout 5 curl -u ${R} https://x; sudo -u bob curl -u${R} https://y; nice curl -u ${R} z`,
    );
  });
});

describe('attached one-letter values', () => {
  it('curl -uuser:pw and -Uproxy:pw', () => {
    expect(redactCommand('curl', ['-uuser:pw', '-Uproxy:pw', 'https://x'])).toEqual([`-u${R}`, `-U${R}`, 'https://x']);
  });
  it('mysql -pPW; a lone -p prompts, so the next argument (the database) stays', () => {
    expect(redactCommand('mysql', ['-uroot', '-pPW', 'db'])).toEqual(['-uroot', `-p${R}`, 'db']);
    expect(redactCommand('mysql', ['-p', 'db'])).toEqual(['-p', 'db']);
    expect(redactCommand('mysqldump', ['-phunter2', 'db'])).toEqual([`-p${R}`, 'db']);
  });
  it('other programs\' one-letter flags are not secrets', () => {
    expect(redactCommand('ls', ['-p', '/tmp'])).toEqual(['-p', '/tmp']);
    expect(redactCommand('grep', ['-u', 'pattern', 'file'])).toEqual(['-u', 'pattern', 'file']);
    expect(redactCommand('ls', ['-pla'])).toEqual(['-pla']);
    expect(redactCommand('curl', ['-sS', 'https://x'])).toEqual(['-sS', 'https://x']);
  });
});
