// The KubeVirt actions runner's flow (seed: electrocucaracha/kubevirt-actions-runner, internal/runner):
// create a VirtualMachineInstance (and a DataVolume) from a template VirtualMachine, wait for it to
// finish, delete what was created. No tracing code: the agent's Kubernetes instrumentation traces it.
//
// createResources / waitForVirtualMachineInstance / deleteResources keep the seed's names and
// argument meaning (the first argument stands for the Go receiver: the client and namespace), so a
// configuration can wrap them in the seed's CreateResources / DeleteResources spans.
import * as k8s from '@kubernetes/client-node';

export const RUNNER_INFO_ANNOTATION = 'electrocucaracha.kubevirt-actions-runner/runner-info';
export const RUNNER_INFO_VOLUME = 'runner-info';
export const RUNNER_INFO_PATH = 'runner-info.json';

const KUBEVIRT = { group: 'kubevirt.io', version: 'v1' };
const CDI = { group: 'cdi.kubevirt.io', version: 'v1beta1' };

export class RunnerError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'RunnerError';
  }
}
export const ErrEmptyVMTemplate = () => new RunnerError('empty vm template');
export const ErrEmptyRunnerName = () => new RunnerError('empty runner name');
export const ErrEmptyJitConfig = () => new RunnerError('empty jit config');
export class ErrRunnerFailed extends RunnerError {
  constructor(vmiName) {
    super(`runner instance ${vmiName} failed`);
    this.name = 'ErrRunnerFailed';
  }
}

/** HTTP status of a client error (ApiException.code in @kubernetes/client-node 1.x and 2.x). */
export const statusOf = (err) => (typeof err?.code === 'number' ? err.code : undefined);
const isNotFound = (err) => statusOf(err) === 404;
const isAlreadyExists = (err) => statusOf(err) === 409;

/**
 * The runner's context (the Go KubevirtRunner): clients, namespace and what was created.
 * @param {{ kubeconfig?: string, namespace?: string, waitTimeoutMs?: number, log?: (line: string) => void }} options
 */
export function newRunner(options = {}) {
  const kc = new k8s.KubeConfig();
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromDefault();
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return {
    kc,
    customObjects: kc.makeApiClient(k8s.CustomObjectsApi),
    namespace: options.namespace || contextNamespace || 'default',
    waitTimeoutMs: options.waitTimeoutMs ?? 3_600_000,
    log: options.log ?? ((line) => console.log(line)),
    /** Names of what createResources created (the Go AppContext). */
    appContext: undefined,
  };
}

function runnerInfoVolume() {
  return {
    name: RUNNER_INFO_VOLUME,
    downwardAPI: { fields: [{ path: RUNNER_INFO_PATH, fieldRef: { fieldPath: `metadata.annotations['${RUNNER_INFO_ANNOTATION}']` } }] },
  };
}

/** The VMI (and DataVolume) to create for a runner, from the template VirtualMachine. */
export function buildResources(rc, virtualMachine, runnerName, jitConfig) {
  const spec = structuredClone(virtualMachine?.spec?.template?.spec ?? {});
  const vmi = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: runnerName,
      namespace: rc.namespace,
      // The JIT config is a credential: it only travels in this annotation, read by the VM.
      annotations: { [RUNNER_INFO_ANNOTATION]: JSON.stringify({ jitconfig: jitConfig }) },
    },
    spec,
  };
  let dataVolume;
  for (const dvt of virtualMachine?.spec?.dataVolumeTemplates ?? []) {
    const volume = (spec.volumes ?? []).find((v) => v.dataVolume && v.dataVolume.name === dvt.metadata?.name);
    if (!volume) continue;
    dataVolume = {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name: `${dvt.metadata.name}-${runnerName}`, namespace: rc.namespace },
      spec: structuredClone(dvt.spec),
    };
    volume.dataVolume.name = dataVolume.metadata.name;
    break;
  }
  spec.volumes = [...(spec.volumes ?? []), runnerInfoVolume()];
  return { vmi, dataVolume };
}

/**
 * Creates the runner's VirtualMachineInstance from `vmTemplate` (and its DataVolume when the template
 * has dataVolumeTemplates). An object that already exists (a restarted runner) is reused.
 * @returns {Promise<{ vmiName: string, dataVolumeName?: string }>}
 */
export async function createResources(rc, vmTemplate, runnerName, jitConfig) {
  if (!vmTemplate) throw ErrEmptyVMTemplate();
  if (!runnerName) throw ErrEmptyRunnerName();
  if (!jitConfig) throw ErrEmptyJitConfig();
  const { customObjects, namespace, log } = rc;

  let virtualMachine;
  try {
    virtualMachine = await customObjects.getNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachines', name: vmTemplate });
  } catch (err) {
    throw new RunnerError(`cannot obtain KubeVirt vm template ${vmTemplate} (HTTP ${statusOf(err) ?? 'error'})`, { cause: err });
  }
  const { vmi, dataVolume } = buildResources(rc, virtualMachine, runnerName, jitConfig);

  log(`Creating ${vmi.metadata.name} Virtual Machine Instance`);
  let created;
  try {
    created = await customObjects.createNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstances', body: vmi });
  } catch (err) {
    if (!isAlreadyExists(err)) throw new RunnerError(`fail to create runner instance (HTTP ${statusOf(err) ?? 'error'})`, { cause: err });
    log(`${vmi.metadata.name} Virtual Machine Instance already exists; reusing it`);
    created = await customObjects.getNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstances', name: vmi.metadata.name });
  }
  rc.appContext = { vmiName: vmi.metadata.name, dataVolumeName: undefined };

  if (dataVolume) {
    dataVolume.metadata.ownerReferences = [
      { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: created.metadata.name, uid: created.metadata.uid, controller: false },
    ];
    log(`Creating ${dataVolume.metadata.name} Data Volume`);
    try {
      await customObjects.createNamespacedCustomObject({ ...CDI, namespace, plural: 'datavolumes', body: dataVolume });
    } catch (err) {
      if (!isAlreadyExists(err)) throw new RunnerError(`cannot create data volume (HTTP ${statusOf(err) ?? 'error'})`, { cause: err });
      log(`${dataVolume.metadata.name} Data Volume already exists; reusing it`);
    }
    rc.appContext.dataVolumeName = dataVolume.metadata.name;
  }
  return { ...rc.appContext };
}

/**
 * Waits until the VirtualMachineInstance is Succeeded (resolves with the phase) or Failed (rejects
 * with ErrRunnerFailed): one GET, then a watch from its resourceVersion, reconnected when the
 * stream ends.
 */
export async function waitForVirtualMachineInstance(rc, vmiName) {
  const { customObjects, namespace, log, kc } = rc;
  log(`Watching ${vmiName} Virtual Machine Instance`);
  const vmi = await customObjects.getNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstances', name: vmiName });
  let phase = vmi?.status?.phase ?? '';
  if (phase === 'Succeeded') return phase;
  if (phase === 'Failed') throw new ErrRunnerFailed(vmiName);
  let resourceVersion = vmi?.metadata?.resourceVersion;

  const watch = new k8s.Watch(kc);
  const path = `/apis/${KUBEVIRT.group}/${KUBEVIRT.version}/namespaces/${encodeURIComponent(namespace)}/virtualmachineinstances`;
  return new Promise((resolve, reject) => {
    let controller;
    let settled = false;
    let failures = 0;
    const timer = setTimeout(() => finish(new RunnerError('timeout while waiting for the virtual machine instance')), rc.waitTimeoutMs);
    timer.unref?.();
    const finish = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      if (err) reject(err);
      else resolve(phase);
    };
    const onEvent = (type, obj) => {
      if (settled) return;
      if (type === 'ERROR') {
        // 410 Gone: the resourceVersion is too old; start over from the current state.
        if (obj?.code === 410) resourceVersion = undefined;
        return;
      }
      if (obj?.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
      if (obj?.metadata?.name !== vmiName) return;
      if (type === 'DELETED') return finish(new RunnerError(`${vmiName} was deleted`));
      const next = obj?.status?.phase ?? '';
      if (next === phase) return;
      phase = next;
      if (phase === 'Succeeded') {
        log(`${vmiName} has successfully completed`);
        return finish();
      }
      if (phase === 'Failed') {
        log(`${vmiName} has failed`);
        return finish(new ErrRunnerFailed(vmiName));
      }
      log(`${vmiName} has transitioned to ${phase} phase`);
    };
    const onDone = (err) => {
      if (settled) return;
      // The stream ended (apiserver timeout, connection cut): watch again from where it was.
      failures = err ? failures + 1 : 0;
      if (failures > 5) return finish(new RunnerError(`watching ${vmiName} failed: ${err?.message ?? err}`, { cause: err }));
      log(`watch of ${vmiName} ended${err ? ` (${err.message ?? err})` : ''}; reconnecting`);
      setTimeout(start, err ? 100 * failures : 0);
    };
    const start = () => {
      if (settled) return;
      const query = { fieldSelector: `metadata.name=${vmiName}`, allowWatchBookmarks: true };
      if (resourceVersion) query.resourceVersion = resourceVersion;
      watch.watch(path, query, onEvent, onDone).then(
        (c) => {
          controller = c;
          if (settled) c.abort();
        },
        (err) => finish(err),
      );
    };
    start();
  });
}

/** Deletes the runner's VirtualMachineInstance and DataVolume; ones already gone are fine. */
export async function deleteResources(rc, vmiName, dataVolumeName) {
  const { customObjects, namespace, log } = rc;
  if (!vmiName) return;
  log(`Cleaning ${vmiName} Virtual Machine Instance resources`);
  try {
    await customObjects.deleteNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstances', name: vmiName });
  } catch (err) {
    if (!isNotFound(err)) log(`fail to delete runner instance ${vmiName}: HTTP ${statusOf(err) ?? err?.message}`);
  }
  if (dataVolumeName) {
    try {
      await customObjects.deleteNamespacedCustomObject({ ...CDI, namespace, plural: 'datavolumes', name: dataVolumeName });
    } catch (err) {
      if (!isNotFound(err)) log(`fail to delete runner data volume ${dataVolumeName}: HTTP ${statusOf(err) ?? err?.message}`);
    }
  }
}
