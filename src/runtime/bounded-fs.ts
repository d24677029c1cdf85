// Filesystem calls the agent makes on user-given paths, bounded so that no path can hang or spin the host.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** How many missing directories {@link makeDirectories} creates at most; a deeper chain is a mistake, not a layout. */
export const MAX_NEW_DIRECTORIES = 32;
/** Size cap for {@link readSmallRegularFile}: configuration, never data. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/**
 * `mkdir -p dir`, with at most {@link MAX_NEW_DIRECTORIES} steps up and one attempt per directory.
 * Node's `mkdirSync(dir, { recursive: true })` is not used: on /proc, where mkdir answers ENOENT
 * for a missing child although its parent exists, it retries forever at 100 % CPU. Any error other
 * than "missing" gives up at once; errors name the directory that failed.
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(current);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = path.dirname(current);
      // ENOTDIR: some ancestor is a file; walking on up finds it and names it.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) throw pathError(current, err);
      if (missing.length >= MAX_NEW_DIRECTORIES) {
        throw new Error(`more than ${MAX_NEW_DIRECTORIES} directories would have to be created above ${current}`, { cause: err });
      }
      missing.push(current);
      continue;
    }
    if (!stat.isDirectory()) throw new Error(`${current} is not a directory`);
    break;
  }
  // Top-down, one mkdir each: a refusal (/proc, /sys, a read-only mount) stops here, it is not retried.
  for (const directory of missing.reverse()) {
    try {
      fs.mkdirSync(directory);
    } catch (err) {
      // Another process (a sibling writing the same trace directory) may have just created it.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && isDirectory(directory)) continue;
      throw pathError(directory, err, 'cannot create directory');
    }
  }
}

/**
 * Reads a small regular file as UTF-8. A FIFO (which would block the read forever), a device such
 * as /dev/zero (which never ends), a directory or a file over `maxBytes` is refused with an error
 * saying so, before any read.
 */
export function readSmallRegularFile(file: string, maxBytes = MAX_CONFIG_FILE_BYTES): string {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    // Bounded by the size: a file that grows meanwhile is read up to what it was.
    while (read < buffer.length) {
      const n = fs.readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.toString('utf8', 0, read);
  } finally {
    fs.closeSync(fd);
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The error with a message that names `p`: "cannot create directory /proc/x: no such file or directory (ENOENT)". */
function pathError(p: string, err: unknown, action = 'cannot use'): Error {
  const e = err as NodeJS.ErrnoException;
  // Node's messages look like "ENOENT: no such file or directory, mkdir '/x'": keep the reason only.
  const reason = /^[A-Z][A-Z0-9_]*: ([^,]+),/.exec(e?.message ?? '')?.[1] ?? String(e?.message ?? err);
  const wrapped = new Error(`${action} ${p}: ${reason}${e?.code ? ` (${e.code})` : ''}`) as NodeJS.ErrnoException;
  wrapped.code = e?.code;
  return wrapped;
}
