// Bundles the HTML view's page script (src/cli/view/browser/trace-view.ts) into dist/cli/view/trace-view.js, which html.ts inlines into each page.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(ROOT, 'dist', 'cli', 'view', 'trace-view.js');

await esbuild.build({
  entryPoints: [path.join(ROOT, 'src', 'cli', 'view', 'browser', 'trace-view.ts')],
  outfile,
  bundle: true,
  // One classic script, run once, in its own scope (the page's Content-Security-Policy allows inline scripts only).
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  charset: 'utf8',
  // Type-checking is tsc's (src/cli/view/browser/tsconfig.json); esbuild only strips the types.
  tsconfig: path.join(ROOT, 'src', 'cli', 'view', 'browser', 'tsconfig.json'),
  logLevel: 'warning',
});
// The script is inlined into a <script> element: it must not close it.
if (/<\/script|<!--/i.test(fs.readFileSync(outfile, 'utf8'))) throw new Error(`${outfile} contains "</script" or "<!--": it cannot be inlined`);
