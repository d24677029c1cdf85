// The OTLP exporters' TLS files (OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE, CLIENT_CERTIFICATE, CLIENT_KEY), read once, bounded, as connection options.
import type { OtlpTlsFiles } from '../config';
import { readSmallRegularFile } from '../runtime/bounded-fs';
import { describeError, warn } from '../runtime/logging';

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

const VARIABLES: Record<keyof OtlpTlsFiles, string> = {
  ca: 'OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE',
  cert: 'OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE',
  key: 'OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY',
};

/** Per path: its contents, or why it cannot be read (each file is read once). */
const cache = new Map<string, { pem?: string; error?: string }>();

function readOnce(file: string): { entry: { pem?: string; error?: string }; first: boolean } {
  const known = cache.get(file);
  if (known) return { entry: known, first: false };
  let entry: { pem?: string; error?: string };
  try {
    entry = { pem: readSmallRegularFile(file) };
  } catch (err) {
    entry = { error: describeError(err) };
  }
  cache.set(file, entry);
  return { entry, first: true };
}

/**
 * PEM contents for Node's TLS options, and a line for each file that cannot be read (`otel-agent doctor` reports
 * those). `onFirstRead` hears of a file that fails on its first read only.
 */
export function readTlsFiles(files: OtlpTlsFiles | undefined, onFirstRead?: (problem: string) => void): { options: TlsOptions; problems: string[] } {
  const options: TlsOptions = {};
  const problems: string[] = [];
  if (!files) return { options, problems };
  for (const key of ['ca', 'cert', 'key'] as const) {
    const file = files[key];
    if (file === undefined) continue;
    const { entry, first } = readOnce(file);
    if (entry.pem !== undefined) {
      options[key] = entry.pem;
      continue;
    }
    const problem = `${VARIABLES[key]}=${file} cannot be read (${entry.error})`;
    problems.push(problem);
    if (first) onFirstRead?.(problem);
  }
  return { options, problems };
}

/** PEM contents for Node's TLS options; a file that cannot be read gets one warning and is left out (the system's CAs then apply). */
export function tlsOptions(files: OtlpTlsFiles | undefined): TlsOptions {
  return readTlsFiles(files, (problem) => warn(`${problem}; OTLP over TLS goes on without it`)).options;
}
