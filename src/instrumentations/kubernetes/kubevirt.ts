// KubeVirt naming: which requests are the actions runner's operations, and VMI phases.
import type { Attributes } from '@opentelemetry/api';
import type { KubernetesRequestInfo } from './request-info';
import { ATTR_DATA_VOLUME_NAME, ATTR_NAMESPACE, ATTR_VMI_NAME } from './semconv';

export const KUBEVIRT_GROUP = 'kubevirt.io';
export const CDI_GROUP = 'cdi.kubevirt.io';
export const VMI_RESOURCE = 'virtualmachineinstances';
export const DATA_VOLUME_RESOURCE = 'datavolumes';
export const WAIT_FOR_VMI_SPAN = 'WaitForVirtualMachineInstance';

/** VirtualMachineInstance phases after which nothing more happens. */
export const FINAL_VMI_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

interface KubevirtKind {
  group: string;
  resource: string;
  kind: string;
  /** Short name in span names: CreateVMI, DeleteDataVolume. */
  short: string;
  nameAttribute: string;
}

const KINDS: readonly KubevirtKind[] = [
  { group: KUBEVIRT_GROUP, resource: VMI_RESOURCE, kind: 'VirtualMachineInstance', short: 'VMI', nameAttribute: ATTR_VMI_NAME },
  { group: CDI_GROUP, resource: DATA_VOLUME_RESOURCE, kind: 'DataVolume', short: 'DataVolume', nameAttribute: ATTR_DATA_VOLUME_NAME },
];

const VERBS: Record<string, string> = { create: 'Create', delete: 'Delete' };

export function isVmiResource(group: string | undefined, resource: string | undefined): boolean {
  return group === KUBEVIRT_GROUP && resource === VMI_RESOURCE;
}

/** The plural resource of a KubeVirt kind (KubernetesObjectApi knows the kind before discovery). */
export function resourceOfKind(group: string | undefined, kind: string | undefined): string | undefined {
  return KINDS.find((k) => k.group === group && k.kind === kind)?.resource;
}

export interface KubevirtOperation {
  name: string;
  attributes: Attributes;
}

/** `CreateVMI` / `DeleteVMI` / `CreateDataVolume` / `DeleteDataVolume`, with the runner's attributes. */
export function kubevirtOperationOf(info: Pick<KubernetesRequestInfo, 'verb' | 'group' | 'resource' | 'subresource' | 'name' | 'namespace'>): KubevirtOperation | undefined {
  const verb = VERBS[info.verb];
  if (!verb || info.subresource) return undefined;
  const kind = KINDS.find((k) => k.group === info.group && k.resource === info.resource);
  if (!kind) return undefined;
  if (verb === 'Delete' && !info.name) return undefined;
  const attributes: Attributes = {};
  if (info.name) attributes[kind.nameAttribute] = info.name;
  if (info.namespace) attributes[ATTR_NAMESPACE] = info.namespace;
  return { name: `${verb}${kind.short}`, attributes };
}

/** `status.phase` of an object, when it is a string. */
export function phaseOf(obj: unknown): string | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  const status = (obj as { status?: unknown }).status;
  if (!status || typeof status !== 'object') return undefined;
  const phase = (status as { phase?: unknown }).phase;
  return typeof phase === 'string' ? phase : undefined;
}
