// The environment that gives the scheduler its spans with no code change (used by run-example.mjs and the tests).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `register`: the agent's entry file (an operator would write `--import @org/otel-agent`). */
export function agentEnv(register) {
  return {
    NODE_OPTIONS: `--import ${register}`,
    OTEL_SERVICE_NAME: 'build-scheduler',
    OTEL_AGENT_PROCESS_SPAN: 'true',
    OTEL_AGENT_PROCESS_SPAN_NAME: 'scheduler.main',
    OTEL_AGENT_FUNCTION_SPANS:
      './lib/scheduler.mjs[buildGraph=scheduler.build_graph(node.count:0.packages.length,worker.count:1)];' +
      './lib/worker.mjs[runWorker=scheduler.worker(worker.id:0)]',
    OTEL_AGENT_COMMAND_RULES: path.join(here, 'otel-rules.json'),
    // Children (make, sh) find `node` on PATH: make it this Node (the agent needs >= 22.15).
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
}
