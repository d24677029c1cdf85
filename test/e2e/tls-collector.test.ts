// A collector behind TLS with a private CA: OTEL_EXPORTER_OTLP_CERTIFICATE makes the agent trust it; without it, one warning and the program unchanged.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExportTraceServiceRequest, type ReceivedSpan } from '../helpers/otlp-receiver';
import { runApp } from '../helpers/run-app';

const opensslMissing = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'openssl is not installed: the test cannot make a certificate authority';
  }
})();

const APP = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
  http.get('http://127.0.0.1:' + server.address().port + '/tls-check', (res) => {
    res.resume();
    res.on('end', () => { console.log('status', res.statusCode); server.close(); });
  });
});
`;

describe.skipIf(opensslMissing !== undefined)(`OTLP over https to a collector with a private CA${opensslMissing ? ` (skipped: ${opensslMissing})` : ''}`, () => {
  let dir: string;
  let server: https.Server;
  let url: string;
  const spans: ReceivedSpan[] = [];
  let waiters: (() => void)[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces') spans.push(...decodeExportTraceServiceRequest(Buffer.concat(chunks)));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        waiters.forEach((w) => w());
        waiters = [];
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(() => {
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('with OTEL_EXPORTER_OTLP_CERTIFICATE: the spans arrive over TLS, no warning', async () => {
    const run = await runApp({ files: { 'app.cjs': APP }, entry: 'app.cjs', env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_CERTIFICATE: path.join(dir, 'cert.pem') } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('status 200\n');
    expect(run.stderr).toBe('');
    // The process has ended, and the agent delivers before it ends: the spans are here.
    expect(spans.map((s) => s.name).sort()).toEqual(['GET', 'GET']);
    expect(spans.map((s) => s.kind).sort()).toEqual([2, 3]);
  });

  it('with it, in a process that lives past the batch delay (the export worker sends): the spans arrive, no warning', async () => {
    spans.length = 0;
    // The app stays up for a second after its request, so the batch goes out while it runs, not at its exit.
    const app = APP.replace("server.close(); });", "setTimeout(() => server.close(), 1000); });");
    const run = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: path.join(dir, 'cert.pem'), OTEL_BSP_SCHEDULE_DELAY: '50' } });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, 'status 200\n', '']);
    expect(spans.map((s) => s.name)).toEqual(['GET', 'GET']);
  });

  it('a CA file that cannot be read: one warning naming it, the program unchanged', async () => {
    spans.length = 0;
    const run = await runApp({ files: { 'app.cjs': APP }, entry: 'app.cjs', env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_CERTIFICATE: '/dev/zero', OTEL_AGENT_FLUSH_TIMEOUT: '1000' } });
    expect([run.code, run.stdout]).toEqual([0, 'status 200\n']);
    const warnings = run.stderr.split('\n').filter((l) => l !== '');
    expect(warnings[0]).toBe('[otel-agent] warning: OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE=/dev/zero cannot be read (not a regular file); OTLP over TLS goes on without it');
    expect(warnings.length).toBeLessThanOrEqual(2);
  });

  it('without it: one warning naming the destination, the program unchanged', async () => {
    spans.length = 0;
    const run = await runApp({ files: { 'app.cjs': APP }, entry: 'app.cjs', env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_AGENT_FLUSH_TIMEOUT: '1000' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('status 200\n');
    const warnings = run.stderr.split('\n').filter((l) => l !== '');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[otel-agent\] warning: .*https:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
    expect(spans).toEqual([]);
  });
});
