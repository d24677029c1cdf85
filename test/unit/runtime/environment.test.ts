// What the agent reads from its process, when the working directory is gone (src/environment.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { absolutePath, readAppPackage } from '../../../src/runtime/environment';

describe('without a working directory (deleted under the process)', () => {
  it('absolutePath resolves absolute paths and gives up on relative ones', () => {
    expect(absolutePath('/a/b/../c', undefined)).toBe('/a/c');
    expect(absolutePath('rel/x', undefined)).toBeUndefined();
    expect(absolutePath('rel/x', '/base')).toBe('/base/rel/x');
  });

  // The case with no working directory at all runs in test/e2e/hostile-hosts.test.ts (a program that deletes its own).
  it('readAppPackage finds package.json above the entry, resolved against the directory given', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-env-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.2.3' }));
    expect(readAppPackage(path.join(dir, 'main.js'), '/nonexistent')).toEqual({ name: 'app', version: '1.2.3' });
    expect(readAppPackage('main.js', dir)).toEqual({ name: 'app', version: '1.2.3' });
  });
});
