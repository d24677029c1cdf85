// Delivery at exit, without the event loop: a file destination writes synchronously, an OTLP one hands the
// serialized request to the exit sender process (spawnSync), which posts it and ends.
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { EXIT_SENDER_FILE } from '../runtime/agent-files';
import { describeError } from '../runtime/logging';
import type { Destination } from './exporters';
import { mayStartChildProcess, mayUseNetwork, NETWORK_DENIED } from './permissions';

/** Delivers the destination's undelivered spans without the event loop; true when they arrived. */
export function deliverSync(destination: Destination, timeoutMillis: number): boolean {
  const { config, tracker } = destination;
  switch (config.kind) {
    case 'file': {
      const inner = destination.exporter.inner as { exportSync?: (s: ReadableSpan[]) => boolean };
      // A file exporter is built eagerly (see createDestinations), so exportSync is at hand.
      return inner.exportSync?.(tracker.undelivered()) ?? false;
    }
    case 'otlp': {
      if (!mayUseNetwork()) {
        destination.tracker.lastError ??= NETWORK_DENIED;
        return false;
      }
      if (!mayStartChildProcess()) {
        destination.tracker.lastError ??= "Node's permission model denies the exit sender process (--allow-child-process)";
        return false;
      }
      const { traceSerializerFor } = require('./otlp-trace-encoder') as typeof import('./otlp-trace-encoder');
      const serializer = traceSerializerFor(config.protocol);
      // Batches in flight hold their protobuf bodies; the spans still held are serialized now.
      // Concatenated protobuf requests are one request with all their resource spans (repeated
      // fields append), so a single send carries them all.
      const bodies = tracker.undeliveredBodies();
      const spans = tracker.undelivered();
      if (spans.length > 0) {
        const rest = serializer.serializeRequest(spans);
        if (!rest) return false;
        bodies.push(rest);
      }
      if (bodies.length === 0) return false;
      const body = bodies.length === 1 ? bodies[0] : Buffer.concat(bodies);
      const { encodeExitInput } = require('./exit-sender') as typeof import('./exit-sender');
      const { requestFor } = require('./one-shot-send') as typeof import('./one-shot-send');
      // The sender must not load the agent again: no NODE_OPTIONS, and the SDK switched off.
      const env: NodeJS.ProcessEnv = { ...process.env, OTEL_SDK_DISABLED: 'true' };
      delete env.NODE_OPTIONS;
      const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
      const { context } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
      const { suppressTracing } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
      // The agent's own sender is not a child process of the program's: no span for it. The request
      // (headers: the collector's credentials) goes on stdin, never on the command line.
      const result = context.with(suppressTracing(context.active()), () =>
        spawnSync(process.execPath, [EXIT_SENDER_FILE], {
          input: encodeExitInput(requestFor(config, timeoutMillis), body),
          env,
          timeout: timeoutMillis,
          stdio: ['pipe', 'ignore', 'pipe'],
          windowsHide: true,
        }),
      );
      if (result.status === 0) return true;
      destination.tracker.lastError = result.error ? describeError(result.error) : result.stderr?.toString().trim() || `sender exited with ${result.status ?? result.signal}`;
      return false;
    }
    default:
      // The console prints each span as it ends; Zipkin has no synchronous path.
      return false;
  }
}
