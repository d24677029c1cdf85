// Redaction of secrets in recorded command lines (src/redaction.ts).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  REDACTED,
  capArgs,
  executableBaseName,
  isShell,
  redactArgs,
  redactCommand,
  redactShellScript,
  redactUrlCredentials,
  secretFlagsFor,
  simpleCommandOf,
} from '../../../src/redaction/index';

const R = REDACTED;

describe('redactArgs', () => {
  it('redacts the values of secret-named flags, separate or with =', () => {
    expect(redactArgs(['--password', 'hunter2', '--token=abc', '--jitconfig', 'eyJhYmMi', '--api-key', 'k', '--name', 'web'])).toEqual([
      '--password', R, `--token=${R}`, '--jitconfig', R, '--api-key', R, '--name', 'web',
    ]);
  });
  it('keeps boolean secret-named flags from eating the next argument', () => {
    expect(redactArgs(['login', '--password-stdin', '-u', 'bob', 'registry.example'])).toEqual(['login', '--password-stdin', '-u', 'bob', 'registry.example']);
  });
  it('redacts secret KEY=value pairs, also inside a flag value', () => {
    expect(redactArgs(['API_KEY=xyz', 'DB_PASSWORD=p', 'MODE=fast', '--env=GITHUB_TOKEN=abc', '-e', 'AWS_SECRET_ACCESS_KEY=zz'])).toEqual([
      `API_KEY=${R}`, `DB_PASSWORD=${R}`, 'MODE=fast', `--env=GITHUB_TOKEN=${R}`, '-e', `AWS_SECRET_ACCESS_KEY=${R}`,
    ]);
  });
  it('redacts JWTs, long tokens, private keys and well-known token prefixes', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl';
    const long = 'a'.repeat(20) + '0123456789ABCDEFGHIJ';
    expect(redactArgs([jwt, long, '-----BEGIN RSA PRIVATE KEY-----\nMII...', 'ghp_abcdefgh1234', 'short', 'v1.2.3'])).toEqual([R, R, R, R, 'short', 'v1.2.3']);
  });
  it('redacts credentials in URLs and secret query parameters', () => {
    expect(redactArgs(['https://user:pw@git.example/repo.git', 'https://api.example/x?token=abc&page=2', 'https://example.org/plain'])).toEqual([
      `https://${R}@git.example/repo.git`, `https://api.example/x?token=${R}&page=2`, 'https://example.org/plain',
    ]);
    expect(redactUrlCredentials('clone https://x-access-token:ghs_1@github.com/o/r')).toBe(`clone https://${R}@github.com/o/r`);
  });
  it('redacts secret headers and JSON fields', () => {
    expect(redactArgs(['-H', 'Authorization: Bearer abc.def', '-H', 'Content-Type: application/json', '-d', '{"password":"x","user":"u"}'])).toEqual([
      '-H', `Authorization: ${R}`, '-H', 'Content-Type: application/json', '-d', `{"password":"${R}","user":"u"}`,
    ]);
    expect(redactArgs(['-c', 'http.extraHeader=Authorization: basic dXNlcjpwdw=='])).toEqual(['-c', `http.extraHeader=Authorization: ${R}`]);
  });
  it('takes extra value flags (program-specific -c)', () => {
    expect(redactArgs(['-c', 'abc', '-n', 'x'], ['-c'])).toEqual(['-c', R, '-n', 'x']);
    expect(redactArgs(['-c=abc'], ['-c'])).toEqual([`-c=${R}`]);
  });
});

describe('redactCommand', () => {
  it('treats -c of the KubeVirt actions runner and GitHub runner scripts as a secret', () => {
    for (const exe of ['kar', '/usr/local/bin/kubevirt-actions-runner', 'runner', './run.sh']) {
      expect(redactCommand(exe, ['-c', 'base64config', '--name', 'r1']), exe).toEqual(['-c', R, '--name', 'r1']);
    }
    expect(redactCommand('./config.sh', ['--url', 'https://github.com/org', '--token', 'AAAA', '--pat', 'ghp_x'])).toEqual(['--url', 'https://github.com/org', '--token', R, '--pat', R]);
  });
  it('does not treat -c of other programs as a secret', () => {
    expect(redactCommand('git', ['-c', 'core.autocrlf=false', 'status'])).toEqual(['-c', 'core.autocrlf=false', 'status']);
    expect(redactCommand('python3', ['-c', 'print(1)'])).toEqual(['-c', 'print(1)']);
  });
  it('keeps a shell -c script readable and redacts the secrets inside it', () => {
    expect(redactCommand('/bin/sh', ['-c', 'deploy --token xyz --env prod && PASSWORD=s3cret make install'])).toEqual([
      '-c', `deploy --token ${R} --env prod && PASSWORD=${R} make install`,
    ]);
    expect(redactCommand('bash', ['-ec', 'kar -c SECRETCONFIG -n ns; echo -c done'])).toEqual(['-ec', `kar -c ${R} -n ns; echo -c done`]);
    expect(redactCommand('sh', ['-c', 'echo hello', 'arg0', '--token', 't'])).toEqual(['-c', 'echo hello', 'arg0', '--token', R]);
  });
  it('redacts quoted values, headers, nested shells and keeps variable references', () => {
    expect(redactShellScript(`curl -H "Authorization: Bearer abc" -u me:pw https://x.example/y --token "$TOKEN" | jq .`)).toBe(
      `curl -H 'Authorization: ${R}' -u ${R} https://x.example/y --token "$TOKEN" | jq .`,
    );
    expect(redactShellScript(`bash -c "deploy --password 'p w'"`)).toBe(`bash -c 'deploy --password ${R}'`);
    expect(redactShellScript('export GITHUB_TOKEN=ghp_abcdefghijk; gh auth status')).toBe(`export GITHUB_TOKEN=${R}; gh auth status`);
    expect(redactShellScript('TOKEN=$VAULT_TOKEN ./run.sh -c "$CFG" > out.log 2>&1')).toBe('TOKEN=$VAULT_TOKEN ./run.sh -c "$CFG" > out.log 2>&1');
  });
  it('leaves scripts without secrets untouched, byte for byte', () => {
    const script = `for f in *.txt; do echo "$f" | tr a-z A-Z; done # comment`;
    expect(redactShellScript(script)).toBe(script);
  });
});

describe('simpleCommandOf', () => {
  it('finds the one command of a simple script', () => {
    expect(simpleCommandOf('make -C SPECS/curl')).toEqual(['make', '-C', 'SPECS/curl']);
    expect(simpleCommandOf('FOO=1 exec kubectl get pods -n x 2>&1\n')).toEqual(['kubectl', 'get', 'pods', '-n', 'x']);
    expect(simpleCommandOf(`echo "a b" c\\ d > out.txt`)).toEqual(['echo', 'a b', 'c d']);
  });
  it('gives up on pipelines, lists, substitutions and compound commands', () => {
    for (const s of ['a | b', 'a && b', 'echo $(date)', 'echo `date`', 'if true; then x; fi', '', "echo 'unterminated"]) expect(simpleCommandOf(s), s).toBeUndefined();
  });
});

describe('helpers', () => {
  it('names executables and shells', () => {
    expect(executableBaseName('/usr/bin/kubectl')).toBe('kubectl');
    expect(executableBaseName('C:\\tools\\kubectl.exe')).toBe('kubectl');
    expect(isShell('/bin/bash')).toBe(true);
    expect(isShell('node')).toBe(false);
    expect(secretFlagsFor('curl')).toContain('-u');
  });
  it('caps arguments at a byte size, cutting at a character boundary', () => {
    expect(capArgs(['abc', 'def'], 100)).toEqual({ args: ['abc', 'def'], truncated: false });
    expect(capArgs(['abc', 'défg', 'hij'], 7)).toEqual({ args: ['abc', 'dé'], truncated: true });
    expect(capArgs(['abc', 'def'], 3)).toEqual({ args: ['abc'], truncated: true });
    const big = capArgs(['sh', '-c', 'x'.repeat(10_000)], 4096);
    expect(big.truncated).toBe(true);
    expect(Buffer.byteLength(big.args.join(' '))).toBe(4096);
  });
});

describe('the KubeVirt runner\'s JIT config', () => {
  const JIT = Buffer.from(JSON.stringify({ runner: 'r1', token: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).toString('base64');
  it('a base64 value with = padding is redacted after any flag (it is not a KEY=value pair)', () => {
    expect(JIT.endsWith('=')).toBe(true);
    expect(redactArgs(['-t', 'tmpl', '-c', JIT])).toEqual(['-t', 'tmpl', '-c', '<redacted>']);
  });
  it('-c of a Node runner script is secret however short', () => {
    expect(secretFlagsFor('/srv/runner.mjs')).toEqual(['-c']);
    expect(redactArgs(['-r', 'runner-1', '-c', 'short'], secretFlagsFor('runner.mjs'))).toEqual(['-r', 'runner-1', '-c', '<redacted>']);
    expect(secretFlagsFor('/usr/bin/sh')).toEqual([]);
  });
});

describe('paths are not secrets; tokens that contain `/` still are', () => {
  // Deterministic stand-ins for random tokens: sha-256 chains, as base64 of 24 to 48 bytes.
  const tokens = (count: number, startWithSlash: boolean): string[] => {
    const out: string[] = [];
    for (let i = 0; out.length < count; i++) {
      const bytes = Buffer.concat([0, 1].map((k) => createHash('sha256').update(`token ${i} ${k}`).digest())).subarray(0, 24 + (i % 25));
      const token = bytes.toString('base64').replace(/=+$/, '');
      if (!startWithSlash || token.startsWith('/')) out.push(token);
      else if (startWithSlash) out.push('/' + token.slice(1));
    }
    return out;
  };

  it('keeps the executable path of a shell script (issue 12: `sh -c "/path/to/bin/node script.js"`)', () => {
    for (const exe of [
      '/work/wt-robust/node_modules/node/bin/node',
      '/usr/local/lib/node_modules/npm/bin/npm-cli',
      '/opt/hostedtoolcache/node/20/x64/bin/node',
      '/home/JohnSmith/Projects/MyCompanyBackend/bin/server',
      '/mnt/c/Users/AdminUser2/AppData/Local/nvm/v20/node',
      '/github/home/actions-runner/_work/_tool/node/bin/node',
      '~/projects/my_tool/bin/run_all_integration_tests',
      '../../node_modules/typescript/bin/tsc-watcher-for-ci',
      '/tmp/otel-agent-app-Ab3xYz/tools/node-runtime/bin/node', // a mkdtemp directory
    ]) {
      expect(exe.length, exe).toBeGreaterThanOrEqual(32);
      expect(redactCommand('sh', ['-c', `${exe} script.js`]), exe).toEqual(['-c', `${exe} script.js`]);
      expect(redactArgs([exe, `--prefix=${exe}`, `NODE=${exe}`]), exe).toEqual([exe, `--prefix=${exe}`, `NODE=${exe}`]);
    }
    expect(redactArgs(['packages/some_package/node_modules/typescript/bin/tsc'])).toEqual(['packages/some_package/node_modules/typescript/bin/tsc']);
  });

  it('keeps the path and redacts the secrets around it', () => {
    expect(redactCommand('sh', ['-c', '/opt/deploy/bin/deploy_all_services --token abc --env prod'])).toEqual(['-c', `/opt/deploy/bin/deploy_all_services --token ${R} --env prod`]);
    expect(redactCommand('/usr/local/bin/kubevirt-actions-runner', ['-c', '/etc/runner/config/jit_config_file_path'])).toEqual(['-c', R]);
    expect(redactArgs(['/usr/local/lib/node_modules/npm/bin/npm-cli', 'https://user:pw@registry.example/x'])).toEqual([
      '/usr/local/lib/node_modules/npm/bin/npm-cli', `https://${R}@registry.example/x`,
    ]);
  });

  it('redacts tokens that contain `/`: an AWS secret key, random base64 (also starting with `/`), a token as a path segment', () => {
    expect(redactArgs(['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'])).toEqual([R]);
    expect(redactArgs(['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '--secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'])).toEqual([
      `AWS_SECRET_ACCESS_KEY=${R}`, `--secret=${R}`,
    ]);
    const withSlash = tokens(2000, false).filter((t) => t.length >= 32 && t.includes('/'));
    expect(withSlash.length).toBeGreaterThan(500);
    expect(withSlash.filter((t) => redactArgs([t])[0] !== R)).toEqual([]);
    // The worst case: base64 that happens to start with `/`, as a path does.
    const leading = tokens(2000, true);
    expect(leading.filter((t) => redactArgs([t])[0] !== R).length).toBeLessThanOrEqual(2);
    expect(redactArgs(['/run/secrets/ghp_abcdefgh12345678/x', '/tmp/Q2xhc3NpZmllZEluZm9ybWF0aW9uSGVyZQ/x'])).toEqual([R, R]);
  });

  it('still redacts hex digests and url-safe tokens, which never look like paths', () => {
    const hex = createHash('sha1').update('x').digest('hex');
    const urlSafe = createHash('sha256').update('y').digest('base64url');
    expect(redactArgs([hex, urlSafe, `CHECKSUM=${hex}`, `--digest=${urlSafe}`])).toEqual([R, R, `CHECKSUM=${R}`, `--digest=${R}`]);
  });
});

// The rules below were quadratic on long arguments (128 KiB, Linux's limit for one, took 1 to 5 s to redact);
// speed is not asserted here, only that the linear forms redact the same things.
describe('long arguments', () => {
  it('finds URL credentials after a long run of scheme characters, and only at the start of a scheme', () => {
    const run = 'a.'.repeat(5000);
    expect(redactUrlCredentials(`${run} git+https://u:p@host/x`)).toBe(`${run} git+https://${R}@host/x`);
    expect(redactUrlCredentials(`x${run}https://u:p@host`)).toBe(`x${run}https://${R}@host`);
  });
  it('finds secret query parameters among many separators', () => {
    expect(redactArgs([`https://h/p?${'a;'.repeat(5000)}token=t&x=1`])).toEqual([`https://h/p?${'a;'.repeat(5000)}token=${R}&x=1`]);
    expect(redactArgs(['https://h/p?a=1;password=p;b=2'])).toEqual([`https://h/p?a=1;password=${R};b=2`]);
  });
  it('redacts every secret of a long script, in place', () => {
    const script = 'deploy --token x; '.repeat(3000);
    expect(redactShellScript(script)).toBe(`deploy --token ${R}; `.repeat(3000));
    expect(redactShellScript('A=1 B_TOKEN=t c --password p "d e"')).toBe(`A=1 B_TOKEN=${R} c --password ${R} "d e"`);
  });
});
