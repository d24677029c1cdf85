// End to end: secrets in exception messages, stack traces and status messages are redacted before export; the program's own output keeps them.
import { describe, expect, it } from 'vitest';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp } from '../helpers/run-app';

const receiver = sharedReceiver();

/** An error that names the database it failed to reach (credentials in the URL) and a URL with a token, recorded on a span (exception event, ERROR status). */
const APP = `
const api = require('@opentelemetry/api');
const tracer = api.trace.getTracer('app');
const err = new Error('connect ECONNREFUSED postgres://app:PW-s3cr3t@db:5432/orders (via https://api.example/v1?access_token=tok-s3cr3t)');
tracer.startActiveSpan('query', (span) => {
  span.recordException(err);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: err.message });
  span.end();
});
console.log(err.message);
`;

describe('exception redaction', () => {
  it('exception.message, exception.stacktrace and the status message lose URL credentials and tokens', async () => {
    const run = await runApp({
      files: { 'app.cjs': APP },
      entry: 'app.cjs',
      packages: ['@opentelemetry/api'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: 'exception-redaction', OTEL_BSP_SCHEDULE_DELAY: '50' },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // The program itself is untouched.
    expect(run.stdout).toContain('postgres://app:PW-s3cr3t@db');
    const spans = await receiver.waitForSpans((all) => all.some((s) => s.name === 'query'));
    const span = spans.find((s) => s.name === 'query')!;
    const expected = 'connect ECONNREFUSED postgres://<redacted>@db:5432/orders (via https://api.example/v1?access_token=<redacted>)';
    expect(span.status).toEqual({ code: 2, message: expected });
    const exception = span.events.find((e) => e.name === 'exception')!;
    expect(exception.attributes['exception.message']).toBe(expected);
    expect(String(exception.attributes['exception.stacktrace'])).toContain(`Error: ${expected}\n    at `);
    expect(JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(/s3cr3t/);
  });

  it('with OTEL_AGENT_REDACTION=off the messages are exported as recorded', async () => {
    const run = await runApp({
      files: { 'app.cjs': APP },
      entry: 'app.cjs',
      packages: ['@opentelemetry/api'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: 'exception-redaction-off', OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_AGENT_REDACTION: 'off' },
    });
    expect(run.code).toBe(0);
    const spans = await receiver.waitForSpans((all) => all.some((s) => s.name === 'query'));
    expect(spans.find((s) => s.name === 'query')!.status.message).toContain('postgres://app:PW-s3cr3t@db');
  });
});
