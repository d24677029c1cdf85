// The HTML view's page script (runs in the browser): the index of the traces, each trace's waterfall, span details.
// Type-checked by its own tsconfig.json (DOM, no Node); bundled by scripts/build-view.mjs into dist/cli/view/trace-view.js,
// which html.ts inlines into the page.
import type { JsonObject, JsonValue, PageData, PageSpan, PageTrace } from '../page-data';

interface Row {
  el: HTMLDivElement;
  toggle: HTMLSpanElement;
  collapsed: boolean;
}

interface Column {
  key: string;
  title: string;
  value: (t: PageTrace) => string | number;
  text?: (t: PageTrace) => string;
  num?: boolean;
}

interface IndexRow {
  el: HTMLTableRowElement;
  trace: PageTrace;
  haystack: string;
}

const data = JSON.parse(document.getElementById('trace-data')!.textContent!) as PageData;
/** As in the terminal: indentation for 12 levels, then the depth as a number (a 20,000-span parent chain would otherwise push its names 320,000 px to the right). */
const MAX_INDENT_DEPTH = 12;

function $<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

document.getElementById('title')!.textContent = data.title;
const spanCount = data.traces.reduce((n, t) => n + t.spans.length, 0);
document.getElementById('summary')!.textContent = data.traces.length + ' trace' + (data.traces.length === 1 ? '' : 's') + ', ' + spanCount + ' spans';
const container = document.getElementById('traces')!;
const details = document.getElementById('details')!;
let selected: HTMLElement | null = null;
let rowsById: { [spanId: string]: () => void } = {};

function text(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function table(obj: JsonObject | { [key: string]: string }, keepOrder?: boolean): HTMLElement {
  const t = $('table');
  const keys = Object.keys(obj);
  if (keys.length === 0) return $('p', 'empty', 'none');
  if (!keepOrder) keys.sort();
  keys.forEach((k) => {
    const tr = $('tr');
    tr.appendChild($('td', '', k));
    tr.appendChild($('td', '', text(obj[k])));
    t.appendChild(tr);
  });
  return t;
}

function fmtMs(ms: number): string {
  return ms < 1 ? (ms * 1000).toFixed(0) + 'µs' : ms < 1000 ? ms.toFixed(ms < 10 ? 2 : 1) + 'ms' : (ms / 1000).toFixed(2) + 's';
}

function show(trace: PageTrace, span: PageSpan, row: HTMLElement): void {
  if (selected) selected.classList.remove('selected');
  selected = row;
  row.classList.add('selected');
  details.textContent = '';
  details.appendChild($('h2', '', span.name || '(unnamed)'));
  const info: { [key: string]: string } = {
    'span id': span.id,
    'trace id': trace.traceId,
    'parent id': span.parent || '(root)',
    kind: span.kind,
    start: '+' + fmtMs(span.startMs),
    duration: span.duration,
    status: ['unset', 'ok', 'error'][span.status.code] + (span.status.message ? ': ' + span.status.message : ''),
    scope: span.scope,
  };
  if (span.orphan) info['parent id'] += ' (not in the files)';
  details.appendChild(table(info, true));
  details.appendChild($('h3', '', 'Attributes'));
  details.appendChild(table(span.attributes));
  details.appendChild($('h3', '', 'Events (' + span.events.length + ')'));
  span.events.forEach((e) => {
    details.appendChild($('div', '', '+' + fmtMs(e.atMs) + '  ' + e.name));
    if (Object.keys(e.attributes).length) details.appendChild(table(e.attributes));
  });
  if (span.links.length) {
    details.appendChild($('h3', '', 'Links (' + span.links.length + ')'));
    span.links.forEach((l) => {
      details.appendChild($('div', '', l.traceId + ' / ' + l.spanId));
      if (Object.keys(l.attributes).length) details.appendChild(table(l.attributes));
    });
  }
  details.appendChild($('h3', '', 'Resource'));
  details.appendChild(table(data.resources[span.resource] || {}));
}

function setCollapsed(trace: PageTrace, rows: Row[], index: number, collapsed: boolean): void {
  const span = trace.spans[index];
  rows[index].toggle.textContent = span.children.length ? (collapsed ? '▸' : '▾') : '';
  rows[index].collapsed = collapsed;
  const hide = (i: number, hidden: boolean): void => {
    trace.spans[i].children.forEach((c) => {
      rows[c].el.classList.toggle('hidden', hidden);
      hide(c, hidden || rows[c].collapsed);
    });
  };
  hide(index, collapsed);
}

/** One trace's waterfall, built when it is opened: a folder of many traces stays quick to load. */
function renderTrace(trace: PageTrace): HTMLElement {
  const section = $('section', 'trace');
  section.dataset.traceId = trace.traceId;
  const head = $('div', 'trace-head');
  head.appendChild($('span', '', 'trace '));
  head.appendChild($('span', 'id', trace.traceId));
  head.appendChild($('span', 'meta', '  ' + trace.spans.length + ' spans · ' + trace.duration + ' · ' + trace.services.join(', ') + ' · ' + trace.start));
  if (trace.errors) head.appendChild($('span', 'err', '  ' + trace.errors + ' error' + (trace.errors > 1 ? 's' : '')));
  section.appendChild(head);
  const list = $('div', 'rows');
  const rows: Row[] = [];
  const total = trace.durationMs || 1;
  trace.spans.forEach((span, i) => {
    const row = $('div', 'row' + (span.status.code === 2 ? ' error' : ''));
    row.dataset.spanId = span.id;
    const label = $('div', 'label');
    label.style.paddingLeft = 4 + Math.min(span.depth, MAX_INDENT_DEPTH) * 16 + 'px';
    const toggle = $('span', 'toggle', span.children.length ? '▾' : '');
    label.appendChild(toggle);
    const name = $('span', 'name');
    if (span.depth > MAX_INDENT_DEPTH) name.appendChild($('span', 'depth', '[' + span.depth + '] '));
    if (span.status.code === 2) name.appendChild($('span', 'errmark', '✗'));
    name.appendChild($('span', 'text', (span.orphan ? '⋯ ' : '') + (span.name || '(unnamed)')));
    span.key.forEach((kv) => {
      name.appendChild($('span', 'attr', kv[0] + '=' + kv[1]));
    });
    name.title = span.name;
    label.appendChild(name);
    row.appendChild(label);
    const track = $('div', 'track');
    const bar = $('div', 'bar ' + span.kind);
    bar.style.left = (100 * span.startMs) / total + '%';
    bar.style.width = Math.max(0.2, (100 * span.durMs) / total) + '%';
    bar.title = span.name + ' · ' + span.duration;
    track.appendChild(bar);
    span.events.forEach((e) => {
      const mark = $('div', 'event');
      mark.style.left = (100 * e.atMs) / total + '%';
      mark.title = e.name;
      track.appendChild(mark);
    });
    row.appendChild(track);
    row.appendChild($('div', 'dur', span.duration));
    rows.push({ el: row, toggle, collapsed: false });
    toggle.addEventListener('click', (ev) => {
      ev.stopPropagation();
      setCollapsed(trace, rows, i, !rows[i].collapsed);
    });
    row.addEventListener('click', () => show(trace, span, row));
    rowsById[span.id] = () => show(trace, span, row);
    list.appendChild(row);
  });
  section.appendChild(list);
  return section;
}

// The index: one row per trace, sortable by each column, with a filter box.
const COLUMNS: Column[] = [
  { key: 'rootName', title: 'Root span', value: (t) => t.rootName },
  { key: 'service', title: 'Service', value: (t) => t.rootService },
  { key: 'start', title: 'Start', value: (t) => t.startEpochMs, text: (t) => t.start },
  { key: 'duration', title: 'Duration', value: (t) => t.durationMs, text: (t) => t.duration, num: true },
  { key: 'spans', title: 'Spans', value: (t) => t.spans.length, num: true },
  { key: 'errors', title: 'Errors', value: (t) => t.errors, num: true },
];
let index: HTMLElement | null = null;

function buildIndex(): HTMLElement {
  const view = $('div', 'index');
  const bar = $('div', 'index-bar');
  const filter = $('input');
  filter.id = 'filter';
  filter.type = 'search';
  filter.placeholder = 'Filter by span name, service or trace id';
  const shown = $('span', 'muted');
  shown.id = 'shown';
  bar.appendChild(filter);
  bar.appendChild(shown);
  view.appendChild(bar);
  const tableEl = $('table');
  tableEl.id = 'index';
  const headRow = $('tr');
  let sort = { key: 'start', desc: false };
  const headers: { [key: string]: HTMLTableCellElement } = {};
  COLUMNS.forEach((c) => {
    const th = $('th', c.num ? 'num' : '', c.title);
    th.dataset.key = c.key;
    th.addEventListener('click', () => sortBy(c.key, sort.key === c.key ? !sort.desc : !!c.num));
    headers[c.key] = th;
    headRow.appendChild(th);
  });
  const thead = $('thead');
  thead.appendChild(headRow);
  tableEl.appendChild(thead);
  const tbody = $('tbody');
  const rows: IndexRow[] = data.traces.map((t) => {
    const tr = $('tr', 'trace-row' + (t.errors ? ' error' : ''));
    tr.dataset.traceId = t.traceId;
    COLUMNS.forEach((c) => {
      tr.appendChild($('td', c.num ? 'num' : '', String(c.text ? c.text(t) : c.value(t))));
    });
    tr.title = t.traceId;
    tr.addEventListener('click', () => {
      location.hash = 'trace=' + t.traceId;
    });
    // What the filter looks in: every span name and service of the trace, and its id.
    const words: { [word: string]: boolean } = {};
    t.spans.forEach((s) => {
      words[s.name.toLowerCase()] = true;
    });
    t.services.forEach((n) => {
      words[n.toLowerCase()] = true;
    });
    return { el: tr, trace: t, haystack: t.traceId + '\n' + Object.keys(words).join('\n') };
  });
  tableEl.appendChild(tbody);
  view.appendChild(tableEl);
  function sortBy(key: string, desc: boolean): void {
    sort = { key, desc };
    const col = COLUMNS.filter((c) => c.key === key)[0];
    rows.sort((a, b) => {
      const x = col.value(a.trace);
      const y = col.value(b.trace);
      const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return desc ? -d : d;
    });
    rows.forEach((r) => tbody.appendChild(r.el));
    COLUMNS.forEach((c) => {
      headers[c.key].className = (c.num ? 'num ' : '') + (c.key === key ? (desc ? 'sorted desc' : 'sorted asc') : '');
    });
  }
  function applyFilter(): void {
    const q = filter.value.trim().toLowerCase();
    let n = 0;
    rows.forEach((r) => {
      const match = q === '' || r.haystack.indexOf(q) >= 0;
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

const traceById: { [traceId: string]: PageTrace } = {};
data.traces.forEach((t) => {
  traceById[t.traceId] = t;
});
let traceOfSpan: { [spanId: string]: PageTrace } | null = null;

function findSpanTrace(id: string): PageTrace | undefined {
  if (!traceOfSpan) {
    const found: { [spanId: string]: PageTrace } = {};
    data.traces.forEach((t) => {
      t.spans.forEach((s) => {
        found[s.id] = t;
      });
    });
    traceOfSpan = found;
  }
  return traceOfSpan[id];
}

function resetDetails(): void {
  selected = null;
  details.textContent = '';
  details.appendChild($('p', 'empty', 'Click a span to see its attributes, events and resource.'));
}

/** What the address says: #trace=<id>, #span=<id> (that span's trace, the span selected), else the index. */
function route(): void {
  const m = /(trace|span)=([0-9a-f]+)/.exec(location.hash);
  let trace = m ? (m[1] === 'trace' ? traceById[m[2]] : findSpanTrace(m[2])) : null;
  if (!trace && data.traces.length === 1) trace = data.traces[0];
  container.textContent = '';
  rowsById = {};
  resetDetails();
  if (data.traces.length === 0) {
    container.appendChild($('p', 'empty', 'No spans in these files.'));
    return;
  }
  if (!trace) {
    index = index || buildIndex();
    container.appendChild(index);
    return;
  }
  if (data.traces.length > 1) {
    const back = $('a', 'back', '← all ' + data.traces.length + ' traces');
    back.href = '#';
    container.appendChild(back);
  }
  container.appendChild(renderTrace(trace));
  if (m && m[1] === 'span' && rowsById[m[2]]) rowsById[m[2]]();
}

window.addEventListener('hashchange', route);
route();

// A module (its own scope), not a script: the bundle is one function run once.
export {};
