// Notices a program that starts its own OpenTelemetry SDK next to the agent. The agent's tracer provider is
// already global, so the program's registration fails; the API says so only through its diag logger.
import { diag, DiagConsoleLogger, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { warn } from './logging';

/** What the API logs (through whichever API copy the program uses) when a second tracer provider is registered. */
const DUPLICATE_TRACE_REGISTRATION = 'Attempted duplicate registration of API: trace';

export const OTHER_SDK_WARNING =
  "the program starts its own OpenTelemetry SDK (a second global tracer provider: NodeSDK.start(), trace.setGlobalTracerProvider()) next to the agent; the agent's stays registered, the program's exports nothing, and the program's spans go through the agent's pipeline. To use the program's own SDK instead, do not load the agent";

/**
 * Installs the diag logger: the API's duplicate-registration error for `trace` becomes one agent warning;
 * everything else goes to the console at the configured OTEL_LOG_LEVEL, as before. A program that sets
 * its own diag logger replaces this one (and then sees the API's own error).
 */
export function watchForOtherSdk(level: DiagLogLevel): void {
  const console = level > DiagLogLevel.NONE ? new DiagConsoleLogger() : undefined;
  const logger: DiagLogger = {
    error(message, ...args) {
      if (typeof message === 'string' && message.includes(DUPLICATE_TRACE_REGISTRATION)) warn(OTHER_SDK_WARNING);
      else if (level >= DiagLogLevel.ERROR) console?.error(message, ...args);
    },
    warn: (message, ...args) => console?.warn(message, ...args),
    info: (message, ...args) => console?.info(message, ...args),
    debug: (message, ...args) => console?.debug(message, ...args),
    verbose: (message, ...args) => console?.verbose(message, ...args),
  };
  diag.setLogger(logger, { logLevel: Math.max(level, DiagLogLevel.ERROR), suppressOverrideMessage: true });
}
