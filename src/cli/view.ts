// `otel-agent view <file|dir>... [--trace ID] [--html out.html]`: a waterfall of each trace, in the terminal or as one HTML page.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, stringOption, UsageError, type OptionSpec } from './args';
import { expandInputs } from './inputs';
import { style, terminalLine } from './style';
import { renderHtml } from './view/html';
import { loadTraces, selectTraces } from './view/model';
import { renderTrace } from './view/terminal';

export const VIEW_USAGE = `Usage: otel-agent view <file|dir>... [options]

Shows each trace in trace files (OTLP JSON Lines or kops' framing) as a waterfall: the span tree,
time bars, durations, errors (✗) and a few key attributes. A directory stands for every file in it.

Options:
  --trace <id>       only the trace(s) whose id starts with this
  --html <file>      write one self-contained HTML page instead: an index of the traces (sortable,
                     filterable), each trace's waterfall on click (collapsible spans, span details)
  --width <columns>  terminal width (default: the terminal's, else 100)
Exit code 1 when no span was found or a file could not be read (missing, unreadable, a directory
without files); damaged lines or records alone do not fail. 2 for a usage error.
`;

const SPEC: OptionSpec = {
  trace: { type: 'string' },
  html: { type: 'string' },
  width: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export function view(argv: readonly string[]): number {
  const parsed = parseArgs(argv, SPEC);
  if (parsed.options.help) {
    process.stdout.write(VIEW_USAGE);
    return 0;
  }
  const widthText = stringOption(parsed, 'width');
  const width = widthText !== undefined ? Number(widthText) : (process.stdout.columns ?? 100);
  if (!Number.isInteger(width) || width < 40) throw new UsageError(`--width ${widthText}: expected a number of columns, at least 40`);
  const files = expandInputs(parsed.positionals);
  const data = loadTraces(files);
  for (const problem of data.problems) process.stderr.write(terminalLine(`otel-agent: view: ${problem}; skipped`));
  const traceId = stringOption(parsed, 'trace');
  const traces = selectTraces(data, traceId);
  if (traces.length === 0) {
    // Name what was given: a directory without files expands to nothing.
    const where = parsed.positionals.map((p) => (files.some((f) => f === p || path.dirname(f) === p) ? p : `${p} (no files in it)`)).join(', ');
    process.stderr.write(terminalLine(traceId !== undefined ? `otel-agent: view: no trace ${traceId} in ${where}` : `otel-agent: view: no spans in ${where}`));
    return 1;
  }
  // What could be read is shown; a file that could not be read at all still fails the command, as in replay.
  const code = data.unreadable.length > 0 ? 1 : 0;

  const html = stringOption(parsed, 'html');
  if (html !== undefined) {
    const title = `Traces: ${files.map((f) => path.basename(f)).join(', ')}`;
    fs.writeFileSync(html, renderHtml(data, traces, title.length > 120 ? `${title.slice(0, 117)}...` : title));
    const spans = traces.reduce((n, t) => n + t.spans.length, 0);
    process.stdout.write(terminalLine(`wrote ${html}: ${traces.length} trace${traces.length === 1 ? '' : 's'}, ${spans} spans`));
    return code;
  }
  const s = style(process.stdout);
  const out: string[] = [];
  // One push per line: spreading a trace of 100k+ lines into push() would overflow the stack.
  for (const trace of traces) {
    for (const line of renderTrace(trace, width, s)) out.push(line);
    out.push('');
  }
  process.stdout.write(out.join('\n'));
  return code;
}
