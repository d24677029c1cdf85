// What the agent reads from the process it runs in: the environment and the app's package.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppPackage } from './sdk/resource';

/**
 * The nearest package.json above the main script (or the working directory), outside node_modules.
 * The script's real path: a CLI started through a link (`/usr/bin/npm`, `node_modules/.bin/tsc`) is
 * named by its own package, not by whatever lies above the link.
 */
export function readAppPackage(entry: string | undefined = process.argv[1], cwd = process.cwd()): AppPackage {
  let dir = entry ? path.dirname(realPath(path.resolve(cwd, entry))) : cwd;
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
