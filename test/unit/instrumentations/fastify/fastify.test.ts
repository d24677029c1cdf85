// The fastify instrumentation's onError hook: added to each new instance, and a failure to add it breaks nothing.
import * as diagnostics from 'node:diagnostics_channel';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { FastifyInstrumentation } from '../../../../src/instrumentations/fastify';

const instrumentation = new FastifyInstrumentation();
afterAll(() => instrumentation.disable());

describe('fastify onError hook', () => {
  it('is added to an instance at its creation, first, and continues the chain: the app\'s own onError hook and error answer are unchanged', async () => {
    const app = fastify();
    // Published again (the loader's first message and the subscription): still one hook.
    diagnostics.channel('fastify.initialization').publish({ fastify: app });
    const seen: unknown[] = [];
    app.addHook('onError', (request, reply, err, done) => {
      seen.push(err);
      done();
    });
    app.get('/send', (request, reply) => {
      reply.send(new Error('x'));
    });
    await app.ready();
    const kHooks = Object.getOwnPropertySymbols(app).find((s) => s.description === 'fastify.hooks')!;
    const hooks = (app as unknown as Record<symbol, { onError: Array<{ name: string }> }>)[kHooks].onError;
    expect(hooks.map((h) => h.name)).toEqual(['otelAgentOnError', '']);
    const res = await app.inject('/send');
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'x' });
    expect(seen).toHaveLength(1);
    await app.close();
  });

  it('an instance that already started (addHook throws) or a message that is no instance: nothing thrown, the app answers as before', async () => {
    // Created while the instrumentation was off: no hook yet, and the instance has started when it is published.
    instrumentation.disable();
    const app = fastify();
    app.get('/ok', async () => 'ok');
    await app.ready();
    instrumentation.enable();
    expect(() => app.addHook('onError', (request, reply, err, done) => done())).toThrow();
    const debug: string[] = [];
    const nop = () => {};
    diag.setLogger({ debug: (m: string) => debug.push(m), verbose: nop, info: nop, warn: nop, error: nop }, { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true });
    expect(() => diagnostics.channel('fastify.initialization').publish({ fastify: app })).not.toThrow();
    expect(() => diagnostics.channel('fastify.initialization').publish({ fastify: app })).not.toThrow();
    diag.disable();
    // One debug line at most, naming fastify's refusal.
    expect(debug.filter((m) => m.startsWith('fastify: onError hook not added:'))).toHaveLength(1);
    for (const message of [undefined, null, {}, { fastify: {} }, { fastify: { addHook: 1 } }]) {
      expect(() => diagnostics.channel('fastify.initialization').publish(message)).not.toThrow();
    }
    const res = await app.inject('/ok');
    expect([res.statusCode, res.body]).toEqual([200, 'ok']);
    const kHooks = Object.getOwnPropertySymbols(app).find((s) => s.description === 'fastify.hooks')!;
    expect((app as unknown as Record<symbol, { onError: unknown[] }>)[kHooks].onError).toEqual([]);
    await app.close();
  });
});
