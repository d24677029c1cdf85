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

const cache = new Map<string, string | undefined>();

/** PEM contents for Node's TLS options; a file that cannot be read gets one warning and is left out (the system's CAs then apply). */
export function tlsOptions(files: OtlpTlsFiles | undefined): TlsOptions {
  const options: TlsOptions = {};
  if (!files) return options;
  for (const key of ['ca', 'cert', 'key'] as const) {
    const file = files[key];
    if (file === undefined) continue;
    if (!cache.has(file)) {
      try {
        cache.set(file, readSmallRegularFile(file));
      } catch (err) {
        cache.set(file, undefined);
        warn(`${VARIABLES[key]}=${file} cannot be read (${describeError(err)}); OTLP over TLS goes on without it`);
      }
    }
    const pem = cache.get(file);
    if (pem !== undefined) options[key] = pem;
  }
  return options;
}
