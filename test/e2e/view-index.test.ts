// `otel-agent view <dir> --html` of a CI job's trace folder (many files, many traces): the index, its sorting and filter, the waterfall on click, in headless Chromium.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, finished, REPO_ROOT, type Finished } from '../helpers/run-app';
import { CHROMIUM, openPage, type Page } from '../helpers/chromium';
import { SPANS_PER_TRACE, TRACES, traceIdOf, writeTraceFolder } from '../helpers/trace-folder';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'otel-agent.js');

function cli(args: string[]): Promise<Finished> {
  return finished(spawn(process.execPath, [CLI, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-view-index-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!CHROMIUM)('otel-agent view --html of a folder of many traces', () => {
  let page: Page;
  afterAll(async () => page?.close());

  it('opens on an index (one row per trace, sortable, filterable); a row opens its waterfall', { timeout: 180_000 }, async () => {
    const dir = path.join(tmp, 'otlp');
    fs.mkdirSync(dir);
    writeTraceFolder(dir);
    const html = path.join(tmp, 'job.html');
    const result = await cli(['view', dir, '--html', html]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${TRACES} traces, ${TRACES * SPANS_PER_TRACE} spans`);

    page = await openPage(pathToFileURL(html).href);
    const count = await page.waitFor<number>(`document.querySelectorAll('#index tr.trace-row').length`, 'the index');
    expect(count).toBe(TRACES);
    expect(await page.evaluate(`document.getElementById('shown').textContent`)).toBe(`${TRACES} of ${TRACES} traces`);
    // Opened on the index, not on a waterfall; first row: the earliest trace.
    expect(await page.evaluate(`document.querySelectorAll('.row').length`)).toBe(0);
    const firstRow = `Array.from(document.querySelector('#index tbody tr').cells).map((c) => c.textContent)`;
    expect(await page.evaluate(firstRow)).toEqual(['job-0', 'svc-0', '2025-11-21T04:40:00.000000Z', '1.00s', '500', '0']);

    // Sorting: by errors (most first), by duration (longest first), then shortest first.
    const header = (title: string) => `Array.from(document.querySelectorAll('#index th')).find((th) => th.textContent === '${title}').click()`;
    await page.evaluate(header('Errors'));
    expect((await page.evaluate<string[]>(firstRow))[5]).toBe('6');
    await page.evaluate(header('Duration'));
    expect((await page.evaluate<string[]>(firstRow)).slice(0, 2)).toEqual(['job-99', 'svc-3']);
    await page.evaluate(header('Duration'));
    expect((await page.evaluate<string[]>(firstRow))[0]).toBe('job-0');

    // The filter looks at every span's name, not only the root's.
    const filter = (q: string) => `(() => { const f = document.getElementById('filter'); f.value = ${JSON.stringify(q)}; f.dispatchEvent(new Event('input')); return document.getElementById('shown').textContent; })()`;
    expect(await page.evaluate(filter('unique-step-42'))).toBe(`1 of ${TRACES} traces`);
    const visible = `Array.from(document.querySelectorAll('#index tr.trace-row:not(.hidden)')).map((r) => r.cells[0].textContent)`;
    expect(await page.evaluate(visible)).toEqual(['job-42']);
    expect(await page.evaluate(filter('svc-3'))).toBe(`${TRACES / 4} of ${TRACES} traces`);
    expect(await page.evaluate(filter('no such span'))).toBe(`0 of ${TRACES} traces`);
    expect(await page.evaluate(filter('unique-step-42'))).toBe(`1 of ${TRACES} traces`);

    // A click on the row: that trace's waterfall, all its spans; a click on a span: its details.
    await page.evaluate(`document.querySelector('#index tr.trace-row:not(.hidden)').click()`);
    const rows = await page.waitFor<number>(`document.querySelector('section.trace') && document.querySelectorAll('.row').length`, 'the waterfall');
    expect(rows).toBe(SPANS_PER_TRACE);
    expect(await page.evaluate(`document.querySelector('section.trace').dataset.traceId`)).toBe(traceIdOf(42));
    expect(await page.evaluate(`location.hash`)).toBe(`#trace=${traceIdOf(42)}`);
    expect(await page.evaluate(`document.querySelectorAll('.row.error').length`)).toBe(0); // 42 % 7
    await page.evaluate(`Array.from(document.querySelectorAll('.row')).find((r) => r.textContent.includes('unique-step-42')).click()`);
    expect(await page.evaluate(`document.querySelector('#details h2').textContent`)).toBe('unique-step-42');

    // Back to the index, with the filter kept.
    await page.evaluate(`document.querySelector('a.back').click()`);
    await page.waitFor(`document.getElementById('index')`, 'the index again');
    expect(await page.evaluate(`document.getElementById('shown').textContent`)).toBe(`1 of ${TRACES} traces`);
  });
});
if (!CHROMIUM) console.log('chromium not found (/usr/bin/chromium): the HTML index test is skipped; install it with apt-get install chromium');
