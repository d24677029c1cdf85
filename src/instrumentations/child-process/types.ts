// Public configuration of the child_process instrumentation.
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { CompiledRule } from './command-rules';

export interface ChildProcessInstrumentationConfig extends InstrumentationConfig {
  /**
   * Put the child span's context into the child's environment in the configured propagators' fields
   * (`TRACEPARENT`, `TRACESTATE`, `BAGGAGE`, `B3`, `X_B3_*`: upper-cased, `-` as `_`), in a copy of `options.env` or of
   * `process.env`. Values inherited from above are replaced. Default: true.
   */
  propagateContext?: boolean;
  /** Most UTF-8 bytes recorded in `process.command_args` (all arguments together). Default: 4096. */
  maxCommandLength?: number;
  /** More flags whose value is a secret, for every command (e.g. `['--api-secret', '-k']`). */
  redactFlags?: string[];
  /**
   * `'off'` records arguments as they are (still capped). Only this exact value turns redaction off;
   * anything else, including `false`, keeps it on. Default: `'on'`.
   */
  redaction?: 'on' | 'off';
  /** Rules naming spans and adding attributes from the command line (see command-rules.ts: compileRules, loadRulesFile). */
  rules?: CompiledRule[];
  /** Name kubectl/virtctl spans after their subcommand and add Kubernetes attributes. Default: true. */
  recognizeCommands?: boolean;
  /** Only trace child processes started while a span is active (no root spans). Default: false. */
  requireParentSpan?: boolean;
}
