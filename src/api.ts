// The programmatic entry: `import { startAgent } from '@org/otel-agent/api'` for code-based set-up.
import { start, currentAgent, type AgentHandle } from './agent';
import { warn } from './runtime/logging';
import type { AgentOptions } from './config';

export type { AgentHandle } from './agent';
export type { AgentOptions, AgentConfig } from './config';

/**
 * Starts the agent with `options` layered over the environment (options win). When the agent is
 * already running (preloaded with --import/--require), returns that one and ignores `options`.
 */
export function startAgent(options: AgentOptions = {}): AgentHandle {
  const running = currentAgent();
  if (running) {
    if (Object.keys(options).length > 0) warn('startAgent(): the agent is already running (preloaded); options are ignored');
    return running;
  }
  return start(options);
}
