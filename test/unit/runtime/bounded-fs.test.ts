// Filesystem calls on user-given paths end, with an error naming the path, whatever the path is (src/bounded-fs.ts).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_NEW_DIRECTORIES, makeDirectories, readSmallRegularFile } from '../../../src/runtime/bounded-fs';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-bounded-fs-'));
const isLinux = process.platform === 'linux';
const isRoot = process.getuid?.() === 0;

describe('makeDirectories', () => {
  it('creates every missing directory, and accepts one that exists', () => {
    const dir = path.join(tmp(), 'a', 'b', 'c');
    makeDirectories(dir);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    makeDirectories(dir);
    makeDirectories(path.dirname(dir));
  });

  // Node's own recursive mkdirSync spins forever on /proc (test/e2e/hostile-hosts.test.ts runs that case with a time bound).
  it.runIf(isLinux)('gives up under /proc and /sys with the directory and the reason', () => {
    expect(() => makeDirectories('/proc/no-such-dir')).toThrow('cannot create directory /proc/no-such-dir: no such file or directory (ENOENT)');
    expect(() => makeDirectories('/proc/no-such-dir/deeper/still')).toThrow(/^cannot create directory \/proc\/no-such-dir: /);
    expect(() => makeDirectories('/sys/no-such-dir/x')).toThrow(/^cannot create directory \/sys\/no-such-dir: .*\((EPERM|ENOENT|EACCES|EROFS)\)$/);
  });

  it('names an ancestor that is a file', () => {
    const file = path.join(tmp(), 'file');
    fs.writeFileSync(file, '');
    expect(() => makeDirectories(path.join(file, 'x', 'y'))).toThrow(`${file} is not a directory`);
    expect(() => makeDirectories(file)).toThrow(`${file} is not a directory`);
  });

  it('gives up on a name too long, and on more than the maximum of new directories', () => {
    const base = tmp();
    expect(() => makeDirectories(path.join(base, 'n'.repeat(300)))).toThrow(/ENAMETOOLONG/);
    const deep = path.join(base, ...Array.from({ length: MAX_NEW_DIRECTORIES + 1 }, (_, i) => `d${i}`));
    expect(() => makeDirectories(deep)).toThrow(`more than ${MAX_NEW_DIRECTORIES} directories would have to be created`);
    expect(fs.existsSync(path.join(base, 'd0'))).toBe(false);
    makeDirectories(path.join(base, ...Array.from({ length: MAX_NEW_DIRECTORIES }, (_, i) => `d${i}`)));
  });

  it.runIf(!isRoot && process.platform !== 'win32')('reports a directory it may not write to (EACCES)', () => {
    const locked = path.join(tmp(), 'locked');
    fs.mkdirSync(locked, 0o500);
    expect(() => makeDirectories(path.join(locked, 'x'))).toThrow(`cannot create directory ${path.join(locked, 'x')}: permission denied (EACCES)`);
  });
});

describe('readSmallRegularFile', () => {
  it('reads a regular file', () => {
    const file = path.join(tmp(), 'rules.json');
    fs.writeFileSync(file, '{"rules":[]}');
    expect(readSmallRegularFile(file)).toBe('{"rules":[]}');
  });

  it('refuses, without blocking or reading forever, a FIFO with no writer, an endless device, a directory and a large file', () => {
    const base = tmp();
    const checks: [string, string][] = [
      [base, 'not a regular file'],
      ['/dev/zero', 'not a regular file'],
    ];
    const big = path.join(base, 'big');
    fs.writeFileSync(big, 'x'.repeat(100));
    expect(() => readSmallRegularFile(big, 99)).toThrow('larger than 99 bytes');
    if (process.platform !== 'win32') {
      const fifo = path.join(base, 'fifo');
      execFileSync('mkfifo', [fifo]);
      checks.push([fifo, 'not a regular file']);
    }
    for (const [file, message] of checks) expect(() => readSmallRegularFile(file), file).toThrow(message);
  });

  it('throws the open error for a missing file', () => {
    expect(() => readSmallRegularFile(path.join(tmp(), 'missing'))).toThrow(/ENOENT/);
  });
});
