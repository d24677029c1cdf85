// One copy each of the packages that instrumentations share state through (the brief's rule; `npm ls` would show it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-app';

/** Every installed copy of `name` below node_modules (nested ones included). */
function copiesOf(name: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    const nm = path.join(dir, 'node_modules');
    if (!fs.existsSync(nm)) return;
    if (fs.existsSync(path.join(nm, name, 'package.json'))) found.push(path.relative(REPO_ROOT, path.join(nm, name)));
    for (const entry of fs.readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const scoped = entry.startsWith('@') ? fs.readdirSync(path.join(nm, entry)).map((e) => path.join(entry, e)) : [entry];
      for (const pkg of scoped) {
        const pkgDir = path.join(nm, pkg);
        if (fs.lstatSync(pkgDir).isDirectory()) walk(pkgDir, depth + 1);
      }
    }
  };
  walk(REPO_ROOT, 0);
  return found;
}

describe('installed tree', () => {
  it.each(['@opentelemetry/api', '@opentelemetry/instrumentation', 'import-in-the-middle', 'require-in-the-middle'])('has one copy of %s', (name) => {
    expect(copiesOf(name)).toEqual([path.join('node_modules', name)]);
  });
});
