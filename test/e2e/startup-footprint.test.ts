// What a hello world loads at start with the agent: a handful of bundled files, and nothing that can wait
// (instrumentations of modules the program never loads, the SDK, exporters, resource detectors).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runApp } from '../helpers/run-app';

// Lists every CommonJS (and require(esm)) module loaded when the program ends.
const HELLO = `
process.on('exit', () => console.log(JSON.stringify(Object.keys(require.cache))));
console.log('hello');
`;
const NOT_AT_START = /instrumentation-|sdk-trace|sdk-metrics|sdk-logs|otlp|grpc|protobufjs|resources|resource-detector|semantic-conventions|exporter/;

describe('startup footprint of the npm package', () => {
  it.each(['import', 'require'] as const)('--%s @org/otel-agent loads the bundle: a few files, none of the lazy parts', async (preload) => {
    const run = await runApp({ files: { 'hello.cjs': HELLO }, entry: 'hello.cjs', preload, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(run.stderr).toBe('');
    const [hello, listing] = run.stdout.trim().split('\n');
    expect(hello).toBe('hello');
    const loaded = (JSON.parse(listing) as string[]).filter((f) => !f.endsWith('hello.cjs'));
    const bundle = path.join(REPO_ROOT, 'dist', 'autoinstrumentation') + path.sep;
    // Only the entry (dist/register.js) and the bundle's own files.
    expect(loaded.filter((f) => !f.startsWith(bundle))).toEqual([path.join(REPO_ROOT, 'dist', 'register.js')]);
    expect(loaded.length).toBeLessThanOrEqual(15);
    expect(loaded.filter((f) => NOT_AT_START.test(f))).toEqual([]);
  });

  it('an instrumentation loaded later comes from the bundle too, sharing its @opentelemetry/instrumentation', async () => {
    const app = `require('express');\nconsole.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('@opentelemetry'))));\n`;
    // Upstream's express instrumentation (by default the agent's own route hook, in the main bundle, names express routes).
    const run = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', packages: ['express'], env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: 'true' } });
    expect(run.stderr).toBe('');
    const loaded = JSON.parse(run.stdout) as string[];
    const bundle = path.join(REPO_ROOT, 'dist', 'autoinstrumentation') + path.sep;
    expect(loaded.filter((f) => f.includes('instrumentation-express'))).toEqual([path.join(bundle, 'node_modules', '@opentelemetry', 'instrumentation-express', 'index.js')]);
    expect(loaded.filter((f) => !f.startsWith(bundle))).toEqual([]);
  });
});
