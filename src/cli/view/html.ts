// The HTML view: one self-contained page (inline CSS and JS, data embedded as JSON, no network): an index of the traces, and each trace's waterfall with collapsible spans and span details.
import type { PlainValue } from '../../trace-file/reader';
import { formatDuration, KIND_NAMES, keyAttributes } from './format';
import type { Attrs, ViewData, ViewTrace } from './model';
import { isoTime } from './terminal';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What the page's script renders; plain JSON. Times are milliseconds from the trace's start. */
interface PageData {
  title: string;
  resources: { [key: string]: JsonValue }[];
  traces: {
    traceId: string;
    /** The first top-level span: what the trace is (a CI job's command, a request...). */
    rootName: string;
    rootService: string;
    start: string;
    /** Start as milliseconds since the epoch, for sorting the index. */
    startEpochMs: number;
    duration: string;
    durationMs: number;
    services: string[];
    errors: number;
    spans: {
      id: string;
      parent?: string;
      name: string;
      kind: string;
      startMs: number;
      durMs: number;
      duration: string;
      depth: number;
      children: number[];
      status: { code: number; message?: string };
      key: [string, string][];
      attributes: { [key: string]: JsonValue };
      events: { name: string; atMs: number; attributes: { [key: string]: JsonValue } }[];
      links: { traceId: string; spanId: string; attributes: { [key: string]: JsonValue } }[];
      resource: number;
      scope: string;
      orphan: boolean;
    }[];
  }[];
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
  return PAGE.replace('__TITLE__', () => escapeHtml(title)).replace('__DATA__', () => json);
}

function jsonAttrs(attrs: Attrs): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
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
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var MAX_INDENT_DEPTH = 12;
  var $ = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  document.getElementById('title').textContent = data.title;
  var spanCount = data.traces.reduce(function (n, t) { return n + t.spans.length; }, 0);
  document.getElementById('summary').textContent = data.traces.length + ' trace' + (data.traces.length === 1 ? '' : 's') + ', ' + spanCount + ' spans';
  var container = document.getElementById('traces');
  var details = document.getElementById('details');
  var selected = null;
  var rowsById = {};

  function text(v) { return typeof v === 'string' ? v : JSON.stringify(v); }
  function table(obj, keepOrder) {
    var t = $('table'), keys = Object.keys(obj);
    if (keys.length === 0) return $('p', 'empty', 'none');
    if (!keepOrder) keys.sort();
    keys.forEach(function (k) {
      var tr = $('tr'); tr.appendChild($('td', '', k)); tr.appendChild($('td', '', text(obj[k]))); t.appendChild(tr);
    });
    return t;
  }
  function fmtMs(ms) { return ms < 1 ? (ms * 1000).toFixed(0) + 'µs' : ms < 1000 ? ms.toFixed(ms < 10 ? 2 : 1) + 'ms' : (ms / 1000).toFixed(2) + 's'; }

  function show(trace, span, row) {
    if (selected) selected.classList.remove('selected');
    selected = row; row.classList.add('selected');
    details.textContent = '';
    details.appendChild($('h2', '', span.name || '(unnamed)'));
    var info = {
      'span id': span.id, 'trace id': trace.traceId, 'parent id': span.parent || '(root)', kind: span.kind,
      start: '+' + fmtMs(span.startMs), duration: span.duration,
      status: ['unset', 'ok', 'error'][span.status.code] + (span.status.message ? ': ' + span.status.message : ''),
      scope: span.scope
    };
    if (span.orphan) info['parent id'] += ' (not in the files)';
    details.appendChild(table(info, true));
    details.appendChild($('h3', '', 'Attributes'));
    details.appendChild(table(span.attributes));
    details.appendChild($('h3', '', 'Events (' + span.events.length + ')'));
    span.events.forEach(function (e) {
      details.appendChild($('div', '', '+' + fmtMs(e.atMs) + '  ' + e.name));
      if (Object.keys(e.attributes).length) details.appendChild(table(e.attributes));
    });
    if (span.links.length) {
      details.appendChild($('h3', '', 'Links (' + span.links.length + ')'));
      span.links.forEach(function (l) {
        details.appendChild($('div', '', l.traceId + ' / ' + l.spanId));
        if (Object.keys(l.attributes).length) details.appendChild(table(l.attributes));
      });
    }
    details.appendChild($('h3', '', 'Resource'));
    details.appendChild(table(data.resources[span.resource] || {}));
  }

  function setCollapsed(trace, rows, index, collapsed) {
    var span = trace.spans[index];
    rows[index].toggle.textContent = span.children.length ? (collapsed ? '▸' : '▾') : '';
    rows[index].collapsed = collapsed;
    (function hide(i, hidden) {
      trace.spans[i].children.forEach(function (c) {
        rows[c].el.classList.toggle('hidden', hidden);
        hide(c, hidden || rows[c].collapsed);
      });
    })(index, collapsed);
  }

  /** One trace's waterfall, built when it is opened: a folder of many traces stays quick to load. */
  function renderTrace(trace) {
    var section = $('section', 'trace');
    section.dataset.traceId = trace.traceId;
    var head = $('div', 'trace-head');
    head.appendChild($('span', '', 'trace '));
    head.appendChild($('span', 'id', trace.traceId));
    head.appendChild($('span', 'meta', '  ' + trace.spans.length + ' spans · ' + trace.duration + ' · ' + trace.services.join(', ') + ' · ' + trace.start));
    if (trace.errors) head.appendChild($('span', 'err', '  ' + trace.errors + ' error' + (trace.errors > 1 ? 's' : '')));
    section.appendChild(head);
    var list = $('div', 'rows');
    var rows = [];
    var total = trace.durationMs || 1;
    trace.spans.forEach(function (span, i) {
      var row = $('div', 'row' + (span.status.code === 2 ? ' error' : ''));
      row.dataset.spanId = span.id;
      var label = $('div', 'label');
      // As in the terminal: indentation for 12 levels, then the depth as a number (a 20,000-span
      // parent chain would otherwise push its names 320,000 px to the right).
      label.style.paddingLeft = (4 + Math.min(span.depth, MAX_INDENT_DEPTH) * 16) + 'px';
      var toggle = $('span', 'toggle', span.children.length ? '▾' : '');
      label.appendChild(toggle);
      var name = $('span', 'name');
      if (span.depth > MAX_INDENT_DEPTH) name.appendChild($('span', 'depth', '[' + span.depth + '] '));
      if (span.status.code === 2) name.appendChild($('span', 'errmark', '✗'));
      name.appendChild($('span', 'text', (span.orphan ? '⋯ ' : '') + (span.name || '(unnamed)')));
      span.key.forEach(function (kv) { name.appendChild($('span', 'attr', kv[0] + '=' + kv[1])); });
      name.title = span.name;
      label.appendChild(name);
      row.appendChild(label);
      var track = $('div', 'track');
      var bar = $('div', 'bar ' + span.kind);
      bar.style.left = (100 * span.startMs / total) + '%';
      bar.style.width = Math.max(0.2, 100 * span.durMs / total) + '%';
      bar.title = span.name + ' · ' + span.duration;
      track.appendChild(bar);
      span.events.forEach(function (e) {
        var mark = $('div', 'event'); mark.style.left = (100 * e.atMs / total) + '%'; mark.title = e.name; track.appendChild(mark);
      });
      row.appendChild(track);
      row.appendChild($('div', 'dur', span.duration));
      rows.push({ el: row, toggle: toggle, collapsed: false });
      toggle.addEventListener('click', function (ev) { ev.stopPropagation(); setCollapsed(trace, rows, i, !rows[i].collapsed); });
      row.addEventListener('click', function () { show(trace, span, row); });
      rowsById[span.id] = function () { show(trace, span, row); };
      list.appendChild(row);
    });
    section.appendChild(list);
    return section;
  }

  // The index: one row per trace, sortable by each column, with a filter box.
  var COLUMNS = [
    { key: 'rootName', title: 'Root span', value: function (t) { return t.rootName; } },
    { key: 'service', title: 'Service', value: function (t) { return t.rootService; } },
    { key: 'start', title: 'Start', value: function (t) { return t.startEpochMs; }, text: function (t) { return t.start; } },
    { key: 'duration', title: 'Duration', value: function (t) { return t.durationMs; }, text: function (t) { return t.duration; }, num: true },
    { key: 'spans', title: 'Spans', value: function (t) { return t.spans.length; }, num: true },
    { key: 'errors', title: 'Errors', value: function (t) { return t.errors; }, num: true }
  ];
  var index = null;
  function buildIndex() {
    var view = $('div', 'index');
    var bar = $('div', 'index-bar');
    var filter = $('input');
    filter.id = 'filter'; filter.type = 'search'; filter.placeholder = 'Filter by span name, service or trace id';
    var shown = $('span', 'muted');
    shown.id = 'shown';
    bar.appendChild(filter); bar.appendChild(shown);
    view.appendChild(bar);
    var tableEl = $('table');
    tableEl.id = 'index';
    var headRow = $('tr');
    var sort = { key: 'start', desc: false };
    var headers = {};
    COLUMNS.forEach(function (c) {
      var th = $('th', c.num ? 'num' : '', c.title);
      th.dataset.key = c.key;
      th.addEventListener('click', function () { sortBy(c.key, sort.key === c.key ? !sort.desc : !!c.num); });
      headers[c.key] = th;
      headRow.appendChild(th);
    });
    var thead = $('thead'); thead.appendChild(headRow); tableEl.appendChild(thead);
    var tbody = $('tbody');
    var rows = data.traces.map(function (t, i) {
      var tr = $('tr', 'trace-row' + (t.errors ? ' error' : ''));
      tr.dataset.traceId = t.traceId;
      COLUMNS.forEach(function (c) { tr.appendChild($('td', c.num ? 'num' : '', String(c.text ? c.text(t) : c.value(t)))); });
      tr.title = t.traceId;
      tr.addEventListener('click', function () { location.hash = 'trace=' + t.traceId; });
      // What the filter looks in: every span name and service of the trace, and its id.
      var words = {};
      t.spans.forEach(function (s) { words[s.name.toLowerCase()] = true; });
      t.services.forEach(function (n) { words[n.toLowerCase()] = true; });
      return { el: tr, trace: t, haystack: t.traceId + '\\n' + Object.keys(words).join('\\n') };
    });
    tableEl.appendChild(tbody);
    view.appendChild(tableEl);
    function sortBy(key, desc) {
      sort = { key: key, desc: desc };
      var col = COLUMNS.filter(function (c) { return c.key === key; })[0];
      rows.sort(function (a, b) {
        var x = col.value(a.trace), y = col.value(b.trace);
        var d = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
        return desc ? -d : d;
      });
      rows.forEach(function (r) { tbody.appendChild(r.el); });
      COLUMNS.forEach(function (c) { headers[c.key].className = (c.num ? 'num ' : '') + (c.key === key ? (desc ? 'sorted desc' : 'sorted asc') : ''); });
    }
    function applyFilter() {
      var q = filter.value.trim().toLowerCase(), n = 0;
      rows.forEach(function (r) {
        var match = q === '' || r.haystack.indexOf(q) >= 0;
        r.el.classList.toggle('hidden', !match);
        if (match) n++;
      });
      shown.textContent = n + ' of ' + rows.length + ' traces';
    }
    filter.addEventListener('input', applyFilter);
    sortBy('start', false);
    applyFilter();
    return view;
  }

  var traceById = {};
  data.traces.forEach(function (t) { traceById[t.traceId] = t; });
  var traceOfSpan = null;
  function findSpanTrace(id) {
    if (!traceOfSpan) {
      traceOfSpan = {};
      data.traces.forEach(function (t) { t.spans.forEach(function (s) { traceOfSpan[s.id] = t; }); });
    }
    return traceOfSpan[id];
  }
  function resetDetails() {
    selected = null;
    details.textContent = '';
    details.appendChild($('p', 'empty', 'Click a span to see its attributes, events and resource.'));
  }
  /** What the address says: #trace=<id>, #span=<id> (that span's trace, the span selected), else the index. */
  function route() {
    var m = /(trace|span)=([0-9a-f]+)/.exec(location.hash);
    var trace = m ? (m[1] === 'trace' ? traceById[m[2]] : findSpanTrace(m[2])) : null;
    if (!trace && data.traces.length === 1) trace = data.traces[0];
    container.textContent = '';
    rowsById = {};
    resetDetails();
    if (data.traces.length === 0) return container.appendChild($('p', 'empty', 'No spans in these files.'));
    if (!trace) {
      index = index || buildIndex();
      container.appendChild(index);
      return;
    }
    if (data.traces.length > 1) {
      var back = $('a', 'back', '← all ' + data.traces.length + ' traces');
      back.href = '#';
      container.appendChild(back);
    }
    container.appendChild(renderTrace(trace));
    if (m && m[1] === 'span' && rowsById[m[2]]) rowsById[m[2]]();
  }
  window.addEventListener('hashchange', route);
  route();
})();
</script>
</body>
</html>
`;
