// `otel-agent view --html` as built: the page inlines the bundled page script (dist/cli/view/trace-view.js) and embeds the data intact.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, finished, REPO_ROOT } from '../helpers/run-app';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'otel-agent.js');
const SCRIPT = path.join(REPO_ROOT, 'dist', 'cli', 'view', 'trace-view.js');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-view-html-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** One trace file with a span named to break out of the page's script elements, if anything let it. */
function traceFile(name: string): string {
  const t0 = 1_763_700_000_000_000_000n;
  const doc = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: '1000000000000001',
                name: 'root </script><!-- __SCRIPT__ __DATA__',
                kind: 1,
                startTimeUnixNano: String(t0),
                endTimeUnixNano: String(t0 + 1_000_000n),
              },
            ],
          },
        ],
      },
    ],
  };
  const file = path.join(tmp, name);
  fs.writeFileSync(file, `${JSON.stringify(doc)}\n`);
  return file;
}

describe('otel-agent view --html', () => {
  it('inlines the bundled page script once and embeds the data intact, placeholders in the title or the data included', async () => {
    // The title names the files: a file called __DATA__ once made the data land in <title>.
    const input = traceFile('__DATA__.jsonl');
    const html = path.join(tmp, 'page.html');
    const result = await finished(spawn(process.execPath, [CLI, 'view', input, '--html', html], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(result.code, result.stderr).toBe(0);
    const page = fs.readFileSync(html, 'utf8');

    expect(page).toContain('<title>Traces: __DATA__.jsonl</title>');
    const data = /<script type="application\/json" id="trace-data">(.*?)<\/script>/s.exec(page)?.[1];
    expect(JSON.parse(data!)).toMatchObject({ title: 'Traces: __DATA__.jsonl', traces: [{ rootName: 'root </script><!-- __SCRIPT__ __DATA__' }] });

    // The page script: the bundle as built, once, in a classic inline script (the CSP allows nothing else).
    const script = fs.readFileSync(SCRIPT, 'utf8');
    expect(script).toContain("addEventListener(\"hashchange\"");
    expect(page.split(script)).toHaveLength(2);
    expect(page).toContain(`<script>\n${script}</script>\n</body>`);
    expect(page).toContain(`script-src 'unsafe-inline'`);
    // Two script elements: the data and the page script; nothing else closes or opens one.
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page.match(/<\/script>/g)).toHaveLength(2);
  });
});
