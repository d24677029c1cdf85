// Headless Chromium driven over the DevTools protocol (Node's own WebSocket): open a page, evaluate script in it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface Page {
  /** Evaluates an expression (awaiting a promise it returns) and gives back its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Evaluates `expression` until it is truthy (each time after the page's next animation frame); gives its value. */
  waitFor<T>(expression: string, what: string): Promise<T>;
  close(): Promise<void>;
}

/** Starts Chromium on `url` with remote debugging on a free port of 127.0.0.1. */
export async function openPage(url: string): Promise<Page> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-chromium-'));
  const child: ChildProcess = spawn(CHROMIUM!, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', url], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: closing ends the browser and every helper process it started.
    detached: true,
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const kill = setTimeout(killGroup, 170_000);
  const browserUrl = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`chromium exited (${code}) before listening: ${err}`)));
  });
  const port = new URL(browserUrl).port;
  // The page target for our URL (the browser opens it at start).
  let target: { type: string; url: string; webSocketDebuggerUrl: string } | undefined;
  while (!target) {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; url: string; webSocketDebuggerUrl: string }[];
    target = list.find((t) => t.type === 'page' && t.url.startsWith(url.split('#')[0]));
    if (!target) await new Promise((r) => setImmediate(r));
  }
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error('cannot connect to chromium')));
  });
  let nextId = 1;
  /** Uncaught errors of the page's own scripts: a waitFor fails at once on one. */
  const pageErrors: string[] = [];
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: { exceptionDetails?: { exception?: { description?: string }; text?: string } }; result?: unknown; error?: { message: string } };
    if (msg.method === 'Runtime.exceptionThrown') pageErrors.push(msg.params?.exceptionDetails?.exception?.description ?? msg.params?.exceptionDetails?.text);
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  });
  const send = (method: string, params: object) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('Runtime.enable', {});
  const evaluate = async <T>(expression: string): Promise<T> => {
    const result = (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { exception?: { description?: string }; text: string };
    };
    if (result.exceptionDetails) throw new Error(`in the page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
    return result.result.value as T;
  };
  return {
    evaluate,
    async waitFor<T>(expression: string, what: string): Promise<T> {
      for (let i = 0; i < 100_000; i++) {
        let value: T | undefined;
        try {
          value = await evaluate<T>(`new Promise((r) => requestAnimationFrame(() => r(${expression})))`);
        } catch (err) {
          // The page was still navigating (its first context replaced): ask the new one.
          if (!/context/i.test((err as Error).message)) throw err;
        }
        if (value) return value;
        if (pageErrors.length > 0) throw new Error(`the page's script failed: ${pageErrors.join('; ')}`);
      }
      throw new Error(`the page never showed ${what}`);
    },
    async close() {
      ws.close();
      clearTimeout(kill);
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
      killGroup();
      await exited;
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
