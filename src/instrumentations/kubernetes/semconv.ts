// Attribute and event names the instrumentation emits (documented in README.md next to this file).

// Generic Kubernetes API attributes.
export const ATTR_K8S_VERB = 'k8s.verb';
export const ATTR_K8S_API_GROUP = 'k8s.api.group';
export const ATTR_K8S_API_VERSION = 'k8s.api.version';
export const ATTR_K8S_RESOURCE = 'k8s.resource';
export const ATTR_K8S_SUBRESOURCE = 'k8s.subresource';
export const ATTR_K8S_NAMESPACE_NAME = 'k8s.namespace.name';
export const ATTR_K8S_OBJECT_NAME = 'k8s.object.name';
export const ATTR_K8S_OBJECT_KIND = 'k8s.object.kind';
export const ATTR_K8S_FIELD_SELECTOR = 'k8s.field_selector';
export const ATTR_K8S_LABEL_SELECTOR = 'k8s.label_selector';
export const ATTR_K8S_STATUS_REASON = 'k8s.status.reason';
export const ATTR_K8S_STATUS_CODE = 'k8s.status.code';
export const ATTR_K8S_DISCOVERY = 'k8s.discovery';
/** The manifest file a kubectl/virtctl command applies (child-process spans; not a semantic convention). */
export const ATTR_K8S_MANIFEST_FILE = 'k8s.manifest.file';

// Watches.
export const ATTR_K8S_WATCH_EVENT_COUNT = 'k8s.watch.event_count';
export const ATTR_K8S_WATCH_RECONNECT_COUNT = 'k8s.watch.reconnect_count';
export const ATTR_K8S_WATCH_END_REASON = 'k8s.watch.end_reason';
export const ATTR_K8S_WATCH_EVENT_TYPE = 'k8s.watch.event.type';
export const ATTR_K8S_OBJECT_STATUS_PHASE = 'k8s.object.status.phase';
export const EVENT_K8S_WATCH_EVENT = 'k8s.watch.event';
export const EVENT_K8S_WATCH_RECONNECT = 'k8s.watch.reconnect';
export const ATTR_K8S_WATCH_LINK = 'k8s.watch.link';

// HTTP and server (OpenTelemetry semantic conventions).
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';

// KubeVirt (the actions runner's names).
export const ATTR_VMI_NAME = 'vmiName';
export const ATTR_DATA_VOLUME_NAME = 'dataVolumeName';
export const ATTR_NAMESPACE = 'namespace';
export const ATTR_PHASE = 'phase';
export const ATTR_PREVIOUS_PHASE = 'previous_phase';
export const ATTR_KUBEVIRT_VMI_PHASE = 'kubevirt.vmi.phase';
export const EVENT_PHASE_TRANSITION = 'phase_transition';
