// What the agent reads from the process it runs in: the environment and the app's package.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppPackage } from '../sdk/resource';

/**
 * The working directory, or undefined once it has been deleted under the process: process.cwd()
 * (and path.resolve of a relative path) throws then, and the agent must go on without it.
 */
export function workingDirectory(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

/** `p` made absolute against `base`; undefined for a relative `p` without a working directory. */
export function absolutePath(p: string, base: string | undefined): string | undefined {
  if (path.isAbsolute(p)) return path.resolve(p);
  return base === undefined ? undefined : path.resolve(base, p);
}

/**
 * The nearest package.json above the main script (or the working directory), outside node_modules.
 * The script's real path: a CLI started through a link (`/usr/bin/npm`, `node_modules/.bin/tsc`) is
 * named by its own package, not by whatever lies above the link.
 */
export function readAppPackage(entry: string | undefined = process.argv[1], cwd: string | undefined = workingDirectory()): AppPackage {
  const start = entry ? absolutePath(entry, cwd) : cwd;
  if (start === undefined) return {};
  let dir = entry ? path.dirname(realPath(start)) : start;
  for (;;) {
    if (path.basename(dir) === 'node_modules') return {};
    try {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      return {
        name: typeof json.name === 'string' && json.name !== '' ? json.name : undefined,
        version: typeof json.version === 'string' && json.version !== '' ? json.version : undefined,
      };
    } catch {
      // No (readable) package.json here: keep walking up.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return {};
    dir = parent;
  }
}

/** The file's real path; the path itself when it cannot be resolved (gone, no permission). */
function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}
