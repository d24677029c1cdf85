// Public configuration of the agent's fetch/undici instrumentation (the same settings as the HTTP client's).
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export interface UndiciInstrumentationConfig extends InstrumentationConfig {
  /** Regular expressions: a request whose full URL (as recorded, after redaction) matches one gets no span. */
  excludedUrls?: readonly RegExp[];
  /** Lower-case header names recorded as http.request.header.<name> / http.response.header.<name>. */
  captureHeaders?: {
    clientRequest?: readonly string[];
    clientResponse?: readonly string[];
  };
  /** The agent's redaction beyond upstream's (token-like query parameters, credential header values). Default true. */
  redaction?: boolean;
  /** Record http.client.request.duration (the agent sets it when OTEL_METRICS_EXPORTER is set). Default false. */
  metrics?: boolean;
}
