// The HTML view: one self-contained page (inline CSS and JS, data embedded as JSON, no network): an index of the traces, and each trace's waterfall with collapsible spans and span details.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlainValue } from '../../trace-file/reader';
import { formatDuration, KIND_NAMES, keyAttributes } from './format';
import type { Attrs, ViewData, ViewTrace } from './model';
import type { JsonObject, JsonValue, PageData } from './page-data';
import { isoTime } from './terminal';

/**
 * The page's script: browser/trace-view.ts, type-checked and bundled at build time (scripts/build-view.mjs)
 * next to this module's compiled file. Read once, when the first page is rendered.
 */
let script: string | undefined;
function pageScript(): string {
  if (script === undefined) {
    const file = path.join(__dirname, 'trace-view.js');
    try {
      script = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`the HTML view's script ${file} is missing (npm run build writes it): ${(err as Error).message}`, { cause: err });
    }
  }
  return script;
}

export function renderHtml(data: ViewData, traces: readonly ViewTrace[], title: string): string {
  const page: PageData = {
    title,
    resources: data.resources.map(jsonAttrs),
    traces: traces.map((t) => {
      const index = new Map(t.spans.map((s, i) => [s, i]));
      const ms = (ns: bigint) => Number(ns - t.start) / 1e6;
      const root = t.roots[0] ?? t.spans[0];
      return {
        traceId: t.traceId,
        rootName: root.name,
        rootService: String(data.resources[root.resource]?.['service.name'] ?? 'unknown'),
        start: isoTime(t.start),
        startEpochMs: Number(t.start / 1_000_000n),
        duration: formatDuration(t.end - t.start),
        durationMs: Number(t.end - t.start) / 1e6,
        services: t.services,
        errors: t.errors,
        spans: t.spans.map((s) => ({
          id: s.spanId,
          ...(s.parentSpanId ? { parent: s.parentSpanId } : {}),
          name: s.name,
          kind: KIND_NAMES[s.kind] ?? String(s.kind),
          startMs: ms(s.start),
          durMs: Number(s.end - s.start) / 1e6,
          duration: formatDuration(s.end - s.start),
          depth: s.depth,
          children: s.children.map((c) => index.get(c)).filter((i): i is number => i !== undefined),
          status: s.status,
          key: keyAttributes(s),
          attributes: jsonAttrs(s.attributes),
          events: s.events.map((e) => ({ name: e.name, atMs: ms(e.time), attributes: jsonAttrs(e.attributes) })),
          links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: jsonAttrs(l.attributes) })),
          resource: s.resource,
          scope: s.scope.version ? `${s.scope.name} ${s.scope.version}` : s.scope.name,
          orphan: s.orphan,
        })),
      };
    }),
  };
  // Inside <script>, "</script>" or "<!--" in a span name would end or change the element: escape every "<".
  const json = JSON.stringify(page).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  // One pass over the template: a placeholder's text inside the title or the data is left alone.
  const parts: { [name: string]: () => string } = { TITLE: () => escapeHtml(title), DATA: () => json, SCRIPT: pageScript };
  return PAGE.replace(/__(TITLE|DATA|SCRIPT)__/g, (_, name: string) => parts[name]());
}

function jsonAttrs(attrs: Attrs): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = jsonValue(v);
  return out;
}

function jsonValue(v: PlainValue): JsonValue {
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === 'object') return jsonAttrs(v as Attrs);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>__TITLE__</title>
<style>
  :root { --bg:#fff; --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --hover:#f3f6f9; --sel:#dbeafe;
    --internal:#2da44e; --server:#0969da; --client:#8250df; --producer:#bf8700; --consumer:#1b7c83; --error:#cf222e; }
  * { box-sizing: border-box; }
  body { margin:0; font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif; color:var(--fg); background:var(--bg); }
  header { padding:10px 16px; border-bottom:1px solid var(--line); display:flex; gap:16px; align-items:baseline; }
  header h1 { font-size:16px; margin:0; }
  header .muted { color:var(--muted); }
  main { display:flex; align-items:flex-start; }
  #traces { flex:1; min-width:0; padding:8px 16px 40px; }
  #details { width:400px; flex:none; position:sticky; top:0; max-height:100vh; overflow:auto; border-left:1px solid var(--line);
    padding:12px 16px; background:#f6f8fa; min-height:100vh; }
  #details h2 { font-size:14px; margin:0 0 6px; word-break:break-all; }
  #details h3 { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:14px 0 4px; }
  #details table { border-collapse:collapse; width:100%; font:12px ui-monospace,SFMono-Regular,Menlo,monospace; }
  #details td { border-top:1px solid var(--line); padding:2px 4px; vertical-align:top; word-break:break-all; }
  #details td:first-child { color:var(--muted); width:40%; }
  .trace { margin:12px 0 20px; }
  .trace-head { font-weight:600; margin-bottom:2px; }
  .trace-head .id { font-family:ui-monospace,monospace; }
  .trace-head .meta { color:var(--muted); font-weight:400; }
  .trace-head .err { color:var(--error); }
  .rows { border:1px solid var(--line); border-radius:6px; overflow:hidden; }
  .row { display:flex; align-items:center; height:24px; border-top:1px solid #eef1f4; cursor:pointer; }
  .row:first-child { border-top:none; }
  .row:hover { background:var(--hover); }
  .row.selected { background:var(--sel); }
  .row.hidden { display:none; }
  .label { width:42%; flex:none; display:flex; align-items:center; white-space:nowrap; overflow:hidden; padding-right:8px; }
  .toggle { width:18px; flex:none; text-align:center; color:var(--muted); user-select:none; }
  .name { overflow:hidden; text-overflow:ellipsis; }
  .name .attr { color:var(--muted); margin-left:6px; font-size:12px; }
  .name .depth { color:var(--muted); font-variant-numeric:tabular-nums; }
  .row.error .name > .text { color:var(--error); font-weight:600; }
  .errmark { color:var(--error); margin-right:3px; }
  .track { flex:1; position:relative; height:100%; border-left:1px solid #eef1f4; }
  .bar { position:absolute; top:6px; height:12px; min-width:2px; border-radius:2px; background:var(--internal); }
  .bar.server { background:var(--server); } .bar.client { background:var(--client); }
  .bar.producer { background:var(--producer); } .bar.consumer { background:var(--consumer); }
  .row.error .bar { background:var(--error); }
  .dur { width:72px; flex:none; text-align:right; padding-right:8px; font-variant-numeric:tabular-nums; color:var(--muted); }
  .event { position:absolute; top:4px; width:2px; height:16px; background:#1f2328; opacity:.5; }
  .legend span { display:inline-block; width:10px; height:10px; border-radius:2px; margin:0 3px 0 10px; vertical-align:-1px; }
  .empty { color:var(--muted); }
  .index-bar { display:flex; gap:12px; align-items:center; margin:8px 0; }
  #filter { width:420px; padding:4px 8px; font:inherit; border:1px solid var(--line); border-radius:6px; }
  #index { border-collapse:collapse; width:100%; }
  #index th { text-align:left; border-bottom:2px solid var(--line); padding:4px 8px; cursor:pointer; user-select:none; white-space:nowrap; }
  #index th.sorted.asc::after { content:' ▴'; } #index th.sorted.desc::after { content:' ▾'; }
  #index td { border-top:1px solid #eef1f4; padding:3px 8px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:480px; }
  #index .num { text-align:right; font-variant-numeric:tabular-nums; }
  #index tr.trace-row { cursor:pointer; } #index tr.trace-row:hover { background:var(--hover); }
  #index tr.error td:first-child { color:var(--error); font-weight:600; }
  #index tr.hidden { display:none; }
  .back { display:inline-block; margin:8px 0 0; color:var(--server); text-decoration:none; }
</style>
</head>
<body>
<header><h1 id="title"></h1><span class="muted" id="summary"></span><span class="legend muted">
  <span style="background:var(--server)"></span>server <span style="background:var(--client)"></span>client
  <span style="background:var(--internal)"></span>internal <span style="background:var(--producer)"></span>producer
  <span style="background:var(--consumer)"></span>consumer <span style="background:var(--error)"></span>error</span></header>
<main><div id="traces"></div><aside id="details"><p class="empty">Click a span to see its attributes, events and resource.</p></aside></main>
<script type="application/json" id="trace-data">__DATA__</script>
<script>
__SCRIPT__</script>
</body>
</html>
`;
