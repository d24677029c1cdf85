// A request's error, recorded once on its server span: the exception event now, the status message when the span ends as an error.
import type { RPCMetadata } from '@opentelemetry/core';

const kRecorded = Symbol('otel-agent.http.recorded-error');
const kMessage = Symbol('otel-agent.http.error-message');

/** The RPC metadata of a request's server span (the agent's or upstream's), with the error recorded on it. */
interface ErrorMetadata {
  [kRecorded]?: unknown;
  [kMessage]?: string;
}

/**
 * Records an error on the server span of `metadata`, unless the same error (`key`: the error object, or the
 * text of an exception event) was the last one recorded there: an error passes through several layers, and
 * frameworks record it on each of their spans. `record` adds the exception event.
 */
export function recordOnServer(metadata: RPCMetadata | undefined, key: unknown, message: string | undefined, record: () => void): void {
  if (metadata === undefined || !metadata.span.isRecording()) return;
  const state = metadata as RPCMetadata & ErrorMetadata;
  if (state[kRecorded] === key) return;
  state[kRecorded] = key;
  state[kMessage] = message;
  record();
}

/** The message of the last error recorded for the request, for the ERROR status of its server span. */
export function serverErrorMessage(metadata: RPCMetadata): string | undefined {
  return (metadata as RPCMetadata & ErrorMetadata)[kMessage];
}

