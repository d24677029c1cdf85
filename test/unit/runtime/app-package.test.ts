// service.name from package.json: the main script's real file decides, not the link it was started through.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readAppPackage } from '../../../src/runtime/environment';

describe('readAppPackage', () => {
  it('follows a link to the real script (/usr/bin/npm -> lib/node_modules/npm/bin/npm-cli.js)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-pkg-'));
    const cli = path.join(root, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    fs.mkdirSync(path.dirname(cli), { recursive: true });
    fs.writeFileSync(cli, '');
    fs.writeFileSync(path.join(root, 'lib', 'node_modules', 'npm', 'package.json'), JSON.stringify({ name: 'npm', version: '11.6.2' }));
    // A package.json above the link, as a project's own would be.
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'project-above-the-link' }));
    fs.mkdirSync(path.join(root, 'bin'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'bin', 'npm'));
    expect(readAppPackage(path.join(root, 'bin', 'npm'))).toEqual({ name: 'npm', version: '11.6.2' });
    // node_modules/.bin/<tool> is the same case.
    fs.mkdirSync(path.join(root, 'lib', 'node_modules', '.bin'));
    fs.symlinkSync('../npm/bin/npm-cli.js', path.join(root, 'lib', 'node_modules', '.bin', 'npm'));
    expect(readAppPackage(path.join(root, 'lib', 'node_modules', '.bin', 'npm'))).toEqual({ name: 'npm', version: '11.6.2' });
    // A dangling link falls back to the path as given.
    fs.symlinkSync('missing.js', path.join(root, 'bin', 'gone'));
    expect(readAppPackage(path.join(root, 'bin', 'gone')).name).toBe('project-above-the-link');
    fs.rmSync(root, { recursive: true, force: true });
  });
});
