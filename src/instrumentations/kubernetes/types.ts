// Public configuration of the Kubernetes client instrumentation.
import type { Span } from '@opentelemetry/api';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { KubernetesRequestInfo } from './request-info';

export type { KubernetesRequestInfo } from './request-info';

/** What a request hook gets: the parsed request, and the HTTP status once known. */
export interface KubernetesRequestHookInfo {
  request: KubernetesRequestInfo;
  /** 'request' (a call through the generated APIs or KubernetesObjectApi), 'discovery' or 'watch'. */
  kind: 'request' | 'discovery' | 'watch';
}

export interface KubernetesInstrumentationConfig extends InstrumentationConfig {
  /**
   * Name KubeVirt operations as the KubeVirt actions runner does (`CreateVMI`, `CreateDataVolume`,
   * `DeleteVMI`, `DeleteDataVolume`, `WaitForVirtualMachineInstance`), with its attributes
   * (`vmiName`, `dataVolumeName`, `namespace`, `phase`). False keeps the generic names.
   * @default true
   */
  kubevirt?: boolean;
  /**
   * Record an event per received watch event (`k8s.watch.event`). Phase transitions of
   * VirtualMachineInstances are recorded either way.
   * @default true
   */
  watchEvents?: boolean;
  /**
   * A watch started for the same path and selectors within this many ms of the previous one's end
   * is a reconnection: linked to the previous stream, or for a VirtualMachineInstance wait, continued
   * in the same span. Also how long a VMI wait span stays open after its stream ended without a final
   * phase, waiting for the reconnection (its end time is the stream's end either way).
   * @default 5000
   */
  watchReconnectWindowMs?: number;
  /**
   * Read the (JSON) response body of error responses and of VirtualMachineInstance gets, to record
   * the Kubernetes Status `reason` and the VMI phase. Only those two fields are kept; the body is
   * handed to the client unchanged.
   * @default true
   */
  readResponseStatus?: boolean;
  /** Called when a request or watch span starts, to add attributes. Errors thrown are ignored. */
  requestHook?: (span: Span, info: KubernetesRequestHookInfo) => void;
}
