// Span exporter that appends OTLP traces to a file (JSON Lines or kops' framed protobuf) or to stdout, synchronously.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { ProtobufTraceEncoder } from '../export/otlp-trace-encoder';
import { makeDirectories } from '../runtime/bounded-fs';
import { absolutePath, workingDirectory } from '../runtime/environment';
import { describeError, warn } from '../runtime/logging';
import {
  encodeKopsRecord,
  KOPS_TYPE_CODE_EXPORT_TRACE_REQUEST,
  TRACE_REQUEST_OBJECT_TYPE_RECORD,
} from './kops-framing';
import type { TraceFileFormat } from './format';


export type FileSpanExporterTarget =
  | { kind: 'file'; path: string }
  | { kind: 'dir'; dir: string }
  | { kind: 'stdout' };

export interface FileSpanExporterOptions {
  target: FileSpanExporterTarget;
  format: TraceFileFormat;
  /** The environment variable the target came from, named in warnings so the user knows what to fix. */
  sourceVariable?: string;
}

const NEWLINE = Buffer.from('\n');
const STDOUT_FD = 1;
// kops' writer creates its files 0600: spans can carry URLs, queries and other private data.
const FILE_MODE = 0o600;
const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NONBLOCK ?? 0);

/**
 * File name for one process in directory mode: `<exe>-<pid>-<timestamp>.otel`, as kops names them.
 * `exe` is the main script's base name (or `node` without one); the timestamp is UTC in ISO 8601
 * basic format, e.g. `20261121T071500Z`, which sorts like the time it denotes and, unlike kops'
 * RFC 3339 (`...T07:15:00Z`), has no colon, so it is a valid file name everywhere.
 */
export function traceFileNameForProcess(now: Date, pid: number, mainScript: string | undefined): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return `${exeName(mainScript)}-${pid}-${stamp}.otel`;
}

function exeName(mainScript: string | undefined): string {
  const base = mainScript ? path.basename(mainScript).replace(/[^A-Za-z0-9._-]/g, '_') : '';
  // `node -` or an odd argv[1] would give a name with no letters at all; `node` says more.
  return /[A-Za-z0-9]/.test(base) ? base : 'node';
}

/**
 * Writes each export as one OTLP/JSON `TracesData` line, or as one kops record holding a protobuf
 * `ExportTraceServiceRequest`. Every write is synchronous so the agent can flush from a process
 * 'exit' listener. Errors never reach the caller: they become one warning and a FAILED result, and
 * the next export tries the file again.
 */
export class FileSpanExporter implements SpanExporter {
  /** The format actually written (kops on stdout falls back to jsonl). */
  readonly format: TraceFileFormat;
  /** The file written to, resolved at construction; undefined for stdout. */
  readonly path: string | undefined;

  private readonly sourceVariable: string | undefined;
  private fd: number | undefined;
  // A kops segment must declare type 32 before using it; set again whenever the file is (re)opened.
  private needsObjectTypeRecord = false;
  // Whether the current run of failures has been reported (here or by export()'s caller); cleared by a successful write.
  private failureReported = false;
  private isShutdown = false;

  constructor(options: FileSpanExporterOptions) {
    this.sourceVariable = options.sourceVariable;
    const { target } = options;
    if (target.kind === 'stdout') {
      this.path = undefined;
      this.format = 'jsonl';
      if (options.format === 'kops') {
        warn(`the kops trace format is binary and cannot go to stdout; writing JSON Lines instead${this.from()}`);
      }
    } else {
      // Resolved now, so that a later process.chdir() does not move the file, and (in dir mode)
      // the name carries the process start time as kops' does.
      // A relative path with the working directory deleted stays relative: opening it then fails with a warning.
      const name = traceFileNameForProcess(new Date(), process.pid, process.argv[1]);
      const cwd = workingDirectory();
      this.path =
        target.kind === 'file'
          ? (absolutePath(target.path, cwd) ?? target.path)
          : path.join(absolutePath(target.dir, cwd) ?? target.dir, name);
      this.format = options.format;
    }
  }

  /**
   * Fails with the cause as the error (`cannot create directory /x: permission denied (EACCES)`) and
   * prints nothing: the caller, the agent's delivery guard, prints it once with the destination.
   */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const failure = this.writeNow(spans);
    // Reported by the caller: a later exportSync of the same run of failures does not print it again.
    if (failure !== undefined) this.failureReported = true;
    resultCallback(failure === undefined ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error(failure) });
  }

  /**
   * Encodes and writes `spans` before returning; true when they are in the file. Never throws. Called
   * directly from an 'exit' listener, with no one else to report: the first failure of a run of
   * failures prints one warning naming the file, the cause and the variable.
   */
  exportSync(spans: ReadableSpan[]): boolean {
    const failure = this.writeNow(spans);
    if (failure !== undefined && !this.failureReported) {
      this.failureReported = true;
      warn(`cannot write traces to ${this.describeTarget()}: ${failure}`);
    }
    return failure === undefined;
  }

  /** Writes `spans`; undefined when they are in the file, else what went wrong. Never throws. */
  private writeNow(spans: ReadableSpan[]): string | undefined {
    // The span processors already suppress tracing around export(), but an 'exit' listener calls
    // exportSync directly: without it, an enabled fs instrumentation would trace our own writes.
    try {
      return context.with(suppressTracing(context.active()), () => this.write(spans));
    } catch (err) {
      // write() handles the failures it expects; this only keeps a bug from reaching the host app.
      return `trace file exporter failed: ${describeError(err)}`;
    }
  }

  private write(spans: ReadableSpan[]): string | undefined {
    if (this.isShutdown) return 'the exporter is shut down';
    if (spans.length === 0) return undefined;

    let body: Uint8Array;
    try {
      body = this.encode(spans);
    } catch (err) {
      // Not a file problem: a span the upstream serializer cannot encode. Retrying will not help.
      return `cannot encode traces: ${describeError(err)}`;
    }

    let fd: number;
    try {
      fd = this.open();
    } catch (err) {
      return this.describeFailure(err);
    }

    const chunk = this.needsObjectTypeRecord ? Buffer.concat([TRACE_REQUEST_OBJECT_TYPE_RECORD, body]) : body;
    const { written, error } = writeFullySync(fd, chunk);
    if (error === undefined) {
      this.needsObjectTypeRecord = false;
      this.failureReported = false;
      return undefined;
    }
    if (fd !== STDOUT_FD) this.abandonFile(fd, written);
    return this.describeFailure(error);
  }

  /** Writes are synchronous, so there is never anything buffered. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.isShutdown = true;
    this.closeFile();
    return Promise.resolve();
  }

  private encode(spans: ReadableSpan[]): Uint8Array {
    if (this.format === 'jsonl') {
      const json = JsonTraceSerializer.serializeRequest(spans);
      if (json === undefined) throw new Error('the OTLP JSON serializer returned nothing');
      // JSON.stringify never emits a raw newline, so one request is exactly one line.
      return Buffer.concat([json, NEWLINE]);
    }
    const proto = ProtobufTraceEncoder.serializeRequest(spans);
    if (proto === undefined) throw new Error('the OTLP protobuf serializer returned nothing');
    return encodeKopsRecord(KOPS_TYPE_CODE_EXPORT_TRACE_REQUEST, proto);
  }

  private open(): number {
    if (this.path === undefined) return STDOUT_FD;
    if (this.fd !== undefined) return this.fd;
    // Still relative: there was no working directory to resolve it against.
    if (!path.isAbsolute(this.path)) throw new Error('the path is relative and the working directory was deleted');
    makeDirectories(path.dirname(this.path));
    // Append, unlike kops' O_TRUNC: with the agent in NODE_OPTIONS, child processes inherit the same
    // OTEL_EXPORTER_OTLP_TRACES_FILE, and truncating would wipe their parent's spans. O_APPEND plus
    // one write per record keeps concurrent writers' records whole. O_NONBLOCK: a FIFO nobody reads
    // fails with ENXIO instead of blocking the program forever (no effect on regular files).
    this.fd = fs.openSync(this.path, OPEN_FLAGS, FILE_MODE);
    this.needsObjectTypeRecord = this.format === 'kops';
    return this.fd;
  }

  // After a failed write: remove the partial record we appended, if any, so the file stays
  // parseable (kops' reader cannot resynchronise after a torn record), then close so the next
  // export starts again from open().
  private abandonFile(fd: number, written: number): void {
    if (written > 0) {
      try {
        const size = fs.fstatSync(fd).size;
        if (size >= written) fs.ftruncateSync(fd, size - written);
      } catch {
        // Best effort: the reader reports and skips a torn record anyway.
      }
    }
    this.closeFile();
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fs.closeSync(fd);
    } catch {
      // Closing can report a deferred write error; the data is already lost or written either way.
    }
  }

  /** `no space left on device (ENOSPC) (from OTEL_EXPORTER_OTLP_TRACES_FILE)`. */
  private describeFailure(err: unknown): string {
    return `${describeFsError(err)}${this.from()}`;
  }

  private describeTarget(): string {
    return this.path ?? 'stdout';
  }

  private from(): string {
    return this.sourceVariable ? ` (from ${this.sourceVariable})` : '';
  }
}

/** Node's fs messages repeat the path ("ENOTDIR: not a directory, open '/x/y'"); keep the reason. */
function describeFsError(err: unknown): string {
  const message = describeError(err);
  const match = /^([A-Z][A-Z0-9_]*): ([^,]+),/.exec(message);
  return match ? `${match[2]} (${match[1]})` : message;
}

// writeSync may write less than asked (a full disk), and fd 1 may be a non-blocking pipe that
// answers EAGAIN while the reader catches up; sleep briefly and retry for up to about a second.
const EAGAIN_RETRIES = 1000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function writeFullySync(fd: number, data: Uint8Array): { written: number; error?: unknown } {
  let written = 0;
  let retries = 0;
  while (written < data.length) {
    try {
      const n = fs.writeSync(fd, data, written, data.length - written);
      if (n === 0) return { written, error: new Error('write made no progress') };
      written += n;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && retries++ < EAGAIN_RETRIES) {
        Atomics.wait(sleepCell, 0, 0, 1);
        continue;
      }
      return { written, error: err };
    }
  }
  return { written };
}
