// `npm run example:kubevirt` end to end: the runner example against its simulator, traced with no code change, gives seed 000's trace.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeTracesData, type ReceivedSpan } from '../helpers/otlp-receiver';
import { cleanEnv, REPO_ROOT } from '../helpers/run-app';

let spans: ReceivedSpan[];
let fileText: string;
let status: number | null;
let output: string;

beforeAll(() => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kubevirt-example-')), 'trace.jsonl');
  const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'examples', 'kubevirt-runner', 'run-example.mjs'), '--out', out, '--phase-ms', '20', '--runner', 'runner-e2e'], {
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  status = run.status;
  output = run.stdout + run.stderr;
  fileText = fs.readFileSync(out, 'utf8');
  spans = fileText.split('\n').filter(Boolean).flatMap((line) => normalizeTracesData(JSON.parse(line), 'http/json'));
});

const one = (name: string) => {
  const found = spans.filter((s) => s.name === name);
  expect(found, `${name} in ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0];
};

describe('the KubeVirt runner example', () => {
  it('runs to the end', () => {
    expect(status, output).toBe(0);
  });

  it('is one trace: the run, CreateResources > CreateVMI/CreateDataVolume, the wait, DeleteResources > DeleteVMI/DeleteDataVolume', () => {
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const root = one('kubevirt-actions-runner');
    expect(root.parentSpanId).toBeUndefined();
    const create = one('CreateResources');
    expect(create.parentSpanId).toBe(root.spanId);
    expect(create.attributes).toMatchObject({ vmTemplate: 'vm-template', runnerName: 'runner-e2e', namespace: 'default' });
    expect(one('CreateVMI').parentSpanId).toBe(create.spanId);
    expect(one('CreateDataVolume').parentSpanId).toBe(create.spanId);
    expect(one('CreateVMI').attributes.vmiName).toBe('runner-e2e');
    const wait = one('WaitForVirtualMachineInstance');
    expect(wait.parentSpanId).toBe(root.spanId);
    expect(wait.attributes.vmiName).toBe('runner-e2e');
    expect(wait.events.filter((e) => e.name === 'phase_transition').map((e) => e.attributes.phase)).toEqual(
      expect.arrayContaining(['Pending', 'Scheduled', 'Running', 'Succeeded']),
    );
    const del = one('DeleteResources');
    expect(del.parentSpanId).toBe(root.spanId);
    expect(del.attributes.vmiName).toBe('runner-e2e');
    expect(one('DeleteVMI').parentSpanId).toBe(del.spanId);
    expect(one('DeleteDataVolume').parentSpanId).toBe(del.spanId);
  });

  it('keeps the JIT config (a secret) out of the trace, and the kubeconfig path (not a secret) in it', () => {
    // The example generates the JIT config and checks the trace file for it.
    expect(output).toContain('JIT config in the trace: no');
    expect(fileText).not.toMatch(/runner-info|annotations/i);
    expect(fileText).toContain('<redacted>');
    const kubeconfig = /--kubeconfig (\S+)/.exec(output)?.[1];
    expect(kubeconfig).toMatch(/^\//);
    expect(fileText).toContain(JSON.stringify(kubeconfig));
  });
});
