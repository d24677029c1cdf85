// In-process tests of the route hook for the router package alone (no express, so only its own hook patches it).
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type * as Http from 'node:http';
import { describe, expect, it } from 'vitest';
import { ExpressRouteInstrumentation, HttpInstrumentation } from '../../../../src/instrumentations/http';
import { byKind, inProcessHttp } from '../../../helpers/in-process-http';

// What the agent enables for an app that uses the router package without express (or with the express hook disabled).
const { nodeRequire, serve, get, spansOf } = inProcessHttp([new HttpInstrumentation({ enabled: false }), new ExpressRouteInstrumentation({ module: 'router', enabled: false })]);
const Router = nodeRequire('router') as () => RouterInstance;

describe('ExpressRouteInstrumentation, the router package without express', () => {
  it('names the route with the mount template (never the values a request matched) and records an error no layer took', async () => {
    const router = Router();
    const teams = Router();
    teams.get('/members/:member', (_req, res) => res.end('member'));
    teams.get('/broken', () => {
      throw new Error('team broke');
    });
    router.use('/teams/:team', teams);
    const server = await serve((req, res) =>
      router(req, res, (err) => {
        res.statusCode = err ? 500 : 404;
        res.end();
      }),
    );
    expect((await get(`${server.url}/teams/acme/members/bob`)).body).toBe('member');
    expect((await get(`${server.url}/teams/acme/broken`)).status).toBe(500);
    const servers = byKind(await spansOf(2, 2), SpanKind.SERVER);
    expect(servers.map((s) => [s.name, s.attributes['http.route']])).toEqual([
      ['GET /teams/:team/members/:member', '/teams/:team/members/:member'],
      ['GET /teams/:team/broken', '/teams/:team/broken'],
    ]);
    expect(servers[1].status).toEqual({ code: SpanStatusCode.ERROR, message: 'team broke' });
    expect(servers[1].events.map((e) => e.name)).toEqual(['exception']);
  });
});

/** The little of the router package the test uses. */
interface RouterInstance {
  (req: Http.IncomingMessage, res: Http.ServerResponse, done: (err?: unknown) => void): void;
  get(path: string, handler: (req: Http.IncomingMessage, res: Http.ServerResponse) => void): void;
  use(path: string, router: RouterInstance): void;
}
