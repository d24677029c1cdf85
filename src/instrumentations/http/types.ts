// Public configuration of the agent's HTTP instrumentation.
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export interface HttpInstrumentationConfig extends InstrumentationConfig {
  /** Regular expressions: an incoming request whose path+query matches, or an outgoing request whose full URL matches, gets no span. */
  excludedUrls?: readonly RegExp[];
  /** Lower-case header names recorded as http.request.header.<name> / http.response.header.<name>. */
  captureHeaders?: {
    serverRequest?: readonly string[];
    serverResponse?: readonly string[];
    clientRequest?: readonly string[];
    clientResponse?: readonly string[];
  };
  /**
   * The agent's redaction beyond upstream's (token-like query parameters, credential header values).
   * Upstream's (URL credentials, signature parameters) always applies. Default true.
   */
  redaction?: boolean;
  /** Record http.{server,client}.request.duration (the agent sets it when OTEL_METRICS_EXPORTER is set). Default false. */
  metrics?: boolean;
}

export interface ExpressRouteConfig extends InstrumentationConfig {
  /** Which module this instance hooks: express 4 routes in express itself, express 5 in the `router` package. */
  module: 'express' | 'router';
}
