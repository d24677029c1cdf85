// Agent diagnostics: one-line warnings to stderr, each printed once, never thrown.
import * as fs from 'node:fs';
import type { DiagLogLevel } from '@opentelemetry/api';

const INFO = 60 as DiagLogLevel.INFO;

const PREFIX = '[otel-agent]';
const seen = new Set<string>();
const STDERR_FD = 2;
// Straight to fd 2, not through process.stderr: a write to a pipe its reader closed makes the
// stream emit an EPIPE 'error' event, which crashes a program that itself never writes to stderr.
// writeSync throws instead, here, where it is caught.
let sink: (line: string) => void = (line) => {
  try {
    fs.writeSync(STDERR_FD, line + '\n');
  } catch (err) {
    // A non-blocking stderr that is full: the stream queues the line (its reader is alive, so no EPIPE).
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return; // closed: nothing the host should see
    try {
      process.stderr.write(line + '\n');
    } catch {
      // Nothing more to try.
    }
  }
};

/** Prints `message` once per process (identical messages are deduplicated). */
export function warn(message: string): void {
  if (seen.has(message)) return;
  seen.add(message);
  sink(`${PREFIX} warning: ${message}`);
}

/** Informational line, printed only when OTEL_LOG_LEVEL is info or more verbose. */
export function info(message: string): void {
  if (verbosity >= INFO) sink(`${PREFIX} ${message}`);
}

let verbosity = 0 as DiagLogLevel;

/** Routes the OpenTelemetry diag logger to the console at the configured level. */
export function setLogLevel(level: DiagLogLevel): void {
  verbosity = level;
  if (level > 0) {
    // Loaded only when asked for: a disabled or quiet agent loads no OpenTelemetry code for this.
    const { diag, DiagConsoleLogger } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
    diag.setLogger(new DiagConsoleLogger(), { logLevel: level, suppressOverrideMessage: true });
  }
}

/** Tests only: capture warnings instead of printing them. */
export function captureWarnings(into: string[]): () => void {
  const previous = sink;
  sink = (line) => into.push(line);
  seen.clear();
  return () => {
    sink = previous;
  };
}

/** A short text for an unknown thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
