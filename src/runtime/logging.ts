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

/**
 * Set by `otel-agent run` for its command: the configuration warnings `run` already printed, as
 * comma-separated keys (configurationWarningKey). The agent in the command's processes leaves those out.
 */
export const SHOWN_WARNINGS_VARIABLE = 'OTEL_AGENT_SHOWN_WARNINGS';

/** A short, stable key for a warning's text (FNV-1a, 32 bits, hex): the text itself never goes into the environment. */
export function configurationWarningKey(message: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < message.length; i++) {
    hash ^= message.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** The keys in a value of OTEL_AGENT_SHOWN_WARNINGS (anything else in it is ignored). */
export function shownWarnings(value: string | undefined): Set<string> {
  return new Set((value ?? '').split(',').map((k) => k.trim()).filter((k) => /^[0-9a-f]{8}$/.test(k)));
}

/**
 * A configuration warning: printed once, unless the `otel-agent run` this process runs under printed it
 * already (its key is in OTEL_AGENT_SHOWN_WARNINGS). Returns whether it was printed here.
 */
export function warnConfiguration(message: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (shownWarnings(env[SHOWN_WARNINGS_VARIABLE]).has(configurationWarningKey(message))) return false;
  warn(message);
  return true;
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
