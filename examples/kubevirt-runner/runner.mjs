#!/usr/bin/env node
// KubeVirt actions runner, Node edition: node runner.mjs -t <vm template> -r <runner name> -c <jit config>
//   [-n namespace] [--kubeconfig file]   (default kubeconfig: $KUBECONFIG, then ~/.kube/config)
// Run it with the agent to trace it: node --import @org/otel-agent runner.mjs ...
import { createResources, deleteResources, newRunner, waitForVirtualMachineInstance } from './lib/runner.mjs';

const USAGE = `usage: runner.mjs -t <vm-template> -r <runner-name> -c <jit-config> [-n <namespace>] [--kubeconfig <file>] [--wait-timeout <seconds>]`;

function parseArgs(argv) {
  const args = {};
  const names = {
    '-t': 'vmTemplate', '--kubevirt-vm-template': 'vmTemplate',
    '-r': 'runnerName', '--runner-name': 'runnerName',
    '-c': 'jitConfig', '--actions-runner-input-jitconfig': 'jitConfig',
    '-n': 'namespace', '--namespace': 'namespace',
    '--kubeconfig': 'kubeconfig',
    '--wait-timeout': 'waitTimeout',
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    const name = names[arg];
    if (!name) {
      console.error(`unknown argument: ${arg}\n${USAGE}`);
      process.exit(2);
    }
    args[name] = value ?? argv[++i];
  }
  // The Go runner also reads these from the environment (ARC passes the JIT config this way).
  args.jitConfig ??= process.env.ACTIONS_RUNNER_INPUT_JITCONFIG;
  args.runnerName ??= process.env.RUNNER_NAME;
  return args;
}

const args = parseArgs(process.argv.slice(2));
const rc = newRunner({
  kubeconfig: args.kubeconfig,
  namespace: args.namespace,
  waitTimeoutMs: args.waitTimeout ? Number(args.waitTimeout) * 1000 : undefined,
});

try {
  const { vmiName } = await createResources(rc, args.vmTemplate, args.runnerName, args.jitConfig);
  const phase = await waitForVirtualMachineInstance(rc, vmiName);
  console.log(`${vmiName} finished: ${phase}`);
} catch (err) {
  console.error(`runner failed: ${err?.message ?? err}`);
  process.exitCode = 1;
} finally {
  if (rc.appContext) await deleteResources(rc, rc.appContext.vmiName, rc.appContext.dataVolumeName);
}
