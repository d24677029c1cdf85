// `otel-agent replay <file|dir>...`: sends trace files (JSON Lines or kops framing) to an OTLP endpoint, batched, with a summary.
import * as fs from 'node:fs';
import { resolveConfig, type OtlpExporterConfig, type OtlpProtocol } from '../config';
import { readTraceFile, spansOf, type OtlpTracesData } from '../trace-file/reader';
import { parseArgs, parseKeyValues, stringOption, UsageError, type OptionSpec } from './args';
import { expandInputs } from './inputs';
import { redactUrl } from './redact';
import { Progress } from './replay/progress';
import { terminalLine } from './style';
import { createTarget } from './replay/targets';

export const REPLAY_USAGE = `Usage: otel-agent replay <file|dir>... [options]

Sends trace files (OTLP JSON Lines or kops' framing, told apart by content) to an OTLP endpoint.
A directory stands for every file in it. Damaged lines or records are reported and skipped.
Defaults come from the OTEL_EXPORTER_OTLP_* variables, as for the agent.

Options:
  --endpoint <url>       collector base URL (/v1/traces is added for HTTP), or the full traces URL
  --protocol <p>         http/protobuf (default), http/json or grpc
  --headers <k=v,...>    request headers (percent-encoded values)
  --batch-size <n>       spans per request (default 512)
  --timeout <ms>         per request, retries included (default 10000)
Exit code 1 when spans could not be sent or a file could not be read (missing, unreadable, a
directory without files); damaged records alone do not fail. 2 for a usage error.
`;

const SPEC: OptionSpec = {
  endpoint: { type: 'string' },
  protocol: { type: 'string' },
  headers: { type: 'string' },
  'batch-size': { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
/** After this many failed requests in a row the endpoint is taken to be down; the rest is counted, not sent. */
const MAX_CONSECUTIVE_FAILURES = 3;

export interface ReplaySummary {
  files: number;
  unreadableFiles: number;
  traces: number;
  spans: number;
  sent: number;
  failed: number;
  /** Damaged lines, records and spans skipped. */
  skipped: number;
}

/** The OTLP settings: the environment's, as the agent reads them, with the command's options on top. */
export function replayConfig(parsed: ReturnType<typeof parseArgs>, env: NodeJS.ProcessEnv): OtlpExporterConfig {
  const protocol = stringOption(parsed, 'protocol');
  if (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError(`--protocol ${protocol}: expected one of ${PROTOCOLS.join(', ')}`);
  let endpoint = stringOption(parsed, 'endpoint');
  const headersText = stringOption(parsed, 'headers');
  // Both spellings work: the base URL (as OTEL_EXPORTER_OTLP_ENDPOINT) or the full traces URL.
  if (endpoint !== undefined && protocol !== 'grpc') endpoint = endpoint.replace(/\/v1\/traces\/?$/, '');
  let otlp: OtlpExporterConfig | undefined;
  try {
    const { config } = resolveConfig(
      // The command's destination comes from the OTLP variables and its options, not a configuration file.
      { ...env, OTEL_SDK_DISABLED: undefined, OTEL_CONFIG_FILE: undefined },
      { knownInstrumentations: [] },
      {
        exporter: 'otlp',
        ...(endpoint !== undefined ? { endpoint } : {}),
        ...(protocol !== undefined ? { protocol: protocol as OtlpProtocol } : {}),
        ...(headersText !== undefined ? { headers: parseKeyValues(headersText, '--headers') } : {}),
      },
    );
    otlp = config.traceExporters.find((e): e is OtlpExporterConfig => e.kind === 'otlp');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--endpoint: ${(err as Error).message}`);
  }
  if (!otlp) throw new UsageError('no OTLP destination could be configured');
  const timeout = stringOption(parsed, 'timeout');
  if (timeout !== undefined) {
    const ms = Number(timeout);
    if (!Number.isInteger(ms) || ms <= 0) throw new UsageError(`--timeout ${timeout} is not a positive number of milliseconds`);
    otlp = { ...otlp, timeoutMillis: ms };
  }
  return otlp;
}

export async function replay(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv, SPEC);
  if (parsed.options.help) {
    process.stdout.write(REPLAY_USAGE);
    return 0;
  }
  const batchText = stringOption(parsed, 'batch-size');
  const batchSize = batchText === undefined ? 512 : Number(batchText);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new UsageError(`--batch-size ${batchText} is not a positive integer`);
  const config = replayConfig(parsed, process.env);
  const files = expandInputs(parsed.positionals);
  if (files.length === 0) {
    // Only directories without files were given: say which, rather than sending nothing silently.
    process.stderr.write(terminalLine(`otel-agent: replay: no files in ${parsed.positionals.join(', ')}`));
    return 1;
  }
  const summary = await replayFiles(files, config, batchSize, process.stderr, process.stdout);
  return summary.failed > 0 || summary.unreadableFiles > 0 ? 1 : 0;
}

/** Progress and damage reports go to `err`, the one-line summary to `out`. */
export async function replayFiles(
  files: readonly string[],
  config: OtlpExporterConfig,
  batchSize: number,
  err: NodeJS.WriteStream,
  out: NodeJS.WritableStream,
): Promise<ReplaySummary> {
  const sizes = files.map((f) => {
    try {
      return fs.statSync(f).size;
    } catch {
      return 0;
    }
  });
  const progress = new Progress(err, sizes.reduce((a, b) => a + b, 0));
  const summary: ReplaySummary = { files: files.length, unreadableFiles: 0, traces: 0, spans: 0, sent: 0, failed: 0, skipped: 0 };
  const traceIds = new Set<string>();
  const target = createTarget(config);
  let consecutiveFailures = 0;
  let givenUp: string | undefined;
  let doneBytes = 0;
  const report = (text: string) => progress.print(terminalLine(text));

  const flush = async () => {
    const count = target.pending();
    if (count === 0) return;
    if (givenUp) {
      await target.flush().catch(() => undefined); // nothing is pending in a given-up target's worker
      summary.failed += count;
      return;
    }
    const error = await target.flush();
    if (error === undefined) {
      summary.sent += count;
      consecutiveFailures = 0;
      return;
    }
    summary.failed += count;
    consecutiveFailures++;
    report(`otel-agent: replay: ${count} spans not accepted by ${redactUrl(config.url)}: ${error}`);
    if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
      givenUp = error;
      report(`otel-agent: replay: ${MAX_CONSECUTIVE_FAILURES} requests failed in a row; the remaining spans are counted, not sent`);
    }
  };

  try {
    for (const [fileIndex, file] of files.entries()) {
      let contents: ReturnType<typeof readTraceFile>;
      try {
        contents = readTraceFile(file);
      } catch (e) {
        summary.unreadableFiles++;
        report(`otel-agent: replay: ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        doneBytes += sizes[fileIndex];
        continue;
      }
      for (const e of contents.errors) {
        summary.skipped++;
        report(`otel-agent: replay: ${file}: ${e.position}: ${e.message}; skipped`);
      }
      for (const [i, request] of contents.requests.entries()) {
        const doc = request as OtlpTracesData;
        for (const { span } of spansOf(doc)) if (typeof span.traceId === 'string') traceIds.add(span.traceId);
        const taken = givenUp
          ? countGood(doc)
          : target.add(doc, (index, message) => {
              summary.skipped++;
              report(`otel-agent: replay: ${file}: ${contents.positions[i]}: span ${index + 1}: ${message}; skipped`);
            });
        summary.spans += taken;
        if (givenUp) summary.failed += taken;
        else if (target.pending() >= batchSize) await flush();
        progress.update(doneBytes + (sizes[fileIndex] * (i + 1)) / contents.requests.length, { ...summary, files: fileIndex + 1, totalFiles: files.length });
      }
      doneBytes += sizes[fileIndex];
    }
    await flush();
  } finally {
    progress.update(doneBytes, { ...summary, files: files.length, totalFiles: files.length }, true);
    progress.clear();
    await target.close();
  }
  summary.traces = traceIds.size;
  out.write(formatSummary(summary, config));
  return summary;
}

function countGood(doc: OtlpTracesData): number {
  let n = 0;
  for (const _ of spansOf(doc)) n++;
  return n;
}

export function formatSummary(s: ReplaySummary, config: OtlpExporterConfig): string {
  const parts = [
    `${s.files} file${s.files === 1 ? '' : 's'}${s.unreadableFiles > 0 ? ` (${s.unreadableFiles} unreadable)` : ''}`,
    `${s.traces} trace${s.traces === 1 ? '' : 's'}`,
    `${s.spans} span${s.spans === 1 ? '' : 's'}`,
    `${s.sent} sent`,
    `${s.failed} failed`,
    `${s.skipped} damaged record${s.skipped === 1 ? '' : 's'} skipped`,
  ];
  return `replay to ${config.protocol} ${redactUrl(config.url)}: ${parts.join(', ')}\n`;
}
