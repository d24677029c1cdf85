// Header capture: configured request/response headers as http.{request,response}.header.<name> string arrays.
import type { Attributes } from '@opentelemetry/api';
import { REDACTED, SECRET_HEADERS } from './internal-types';

export type HeaderValue = string | number | readonly string[] | undefined;

/** Adds the configured headers read through `get` to `attributes`; undefined when there is nothing to capture. */
export type HeaderCapture = (attributes: Attributes, get: (name: string) => HeaderValue) => void;

export function headerCapture(kind: 'request' | 'response', names: readonly string[] | undefined, redact: boolean): HeaderCapture | undefined {
  if (!names || names.length === 0) return undefined;
  const entries = names.map((name) => ({ name, key: `http.${kind}.header.${name}`, secret: redact && SECRET_HEADERS.has(name) }));
  return (attributes, get) => {
    for (const { name, key, secret } of entries) {
      const value = get(name);
      if (value === undefined) continue;
      const values = Array.isArray(value) ? (value as string[]).map(String) : [String(value)];
      attributes[key] = secret ? values.map(() => REDACTED) : values;
    }
  };
}
