// What a Kubernetes API request is about, from its method and URL, following the apiserver's own
// rules (k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory). Pure functions, no I/O.

export interface KubernetesRequestInfo {
  /** create, get, list, watch, update, patch, delete, deletecollection; for non-resource paths the lower-cased method. */
  verb: string;
  /** True for a path under /api or /apis that names a resource (collection or object). */
  isResourceRequest: boolean;
  /** GET of /api, /api/v1, /apis, /apis/{group} or /apis/{group}/{version}: API discovery. */
  isDiscovery: boolean;
  /** '' for the core group. */
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  /** From the path, or for list/watch from `fieldSelector=metadata.name=...`. */
  name?: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** The URL path (no query). */
  path: string;
  method: string;
  serverAddress?: string;
  serverPort?: number;
}

/** Subresources of a namespace object itself (`/api/v1/namespaces/{name}/status`). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const VERB_BY_METHOD: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** `metadata.name=foo` (also `metadata.name==foo`) in a field selector, if that is how it selects one object. */
export function nameFromFieldSelector(selector: string | undefined): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.+?)\s*$/.exec(term);
    if (m) return m[1];
  }
  return undefined;
}

function defaultPort(protocol: string): number | undefined {
  if (protocol === 'https:') return 443;
  if (protocol === 'http:') return 80;
  return undefined;
}

/**
 * Parses a request. `url` is absolute (the client's `RequestContext.getUrl()`), or a path plus
 * `server` (the watch's cluster URL). `query` adds to the URL's own query (the watch's parameters).
 */
export function parseRequest(method: string, url: string, query?: Record<string, unknown>): KubernetesRequestInfo {
  const parsed = new URL(url);
  const upper = (method || 'GET').toUpperCase();
  const params = new Map<string, string>();
  parsed.searchParams.forEach((v, k) => params.set(k, v));
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) params.set(k, String(v));
  const info: KubernetesRequestInfo = {
    verb: upper.toLowerCase(),
    isResourceRequest: false,
    isDiscovery: false,
    path: parsed.pathname,
    method: upper,
    serverAddress: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || undefined,
    serverPort: parsed.port ? Number(parsed.port) : defaultPort(parsed.protocol),
  };
  // A cluster URL may carry a path prefix (e.g. a proxy): find the API root inside the path.
  const segments = parsed.pathname.split('/').filter((s) => s !== '').map(safeDecode);
  const rootAt = segments.findIndex((s) => s === 'api' || s === 'apis');
  if (rootAt < 0) return info;
  let parts = segments.slice(rootAt);
  const root = parts[0];
  if (root === 'api') {
    if (parts.length < 2) return discovery(info, upper, undefined, undefined);
    info.group = '';
    info.version = parts[1];
    parts = parts.slice(2);
  } else {
    if (parts.length < 3) return discovery(info, upper, parts[1], undefined);
    info.group = parts[1];
    info.version = parts[2];
    parts = parts.slice(3);
  }
  if (parts.length === 0) return discovery(info, upper, info.group, info.version);

  let verb = VERB_BY_METHOD[upper] ?? upper.toLowerCase();
  // Deprecated `/watch/` prefix.
  if (parts[0] === 'watch') {
    verb = 'watch';
    parts = parts.slice(1);
  }
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
  }
  info.isResourceRequest = parts.length > 0;
  info.resource = parts[0];
  info.name = parts[1];
  info.subresource = parts[2];
  info.fieldSelector = params.get('fieldSelector') || undefined;
  info.labelSelector = params.get('labelSelector') || undefined;

  if (verb === 'get' || verb === 'watch') {
    const watchParam = (params.get('watch') ?? '').toLowerCase();
    if (watchParam === 'true' || watchParam === '1') verb = 'watch';
    else if (verb === 'get' && info.name === undefined) verb = 'list';
  } else if (verb === 'delete' && info.name === undefined) {
    verb = 'deletecollection';
  }
  if ((verb === 'list' || verb === 'watch' || verb === 'deletecollection') && info.name === undefined) {
    info.name = nameFromFieldSelector(info.fieldSelector);
  }
  info.verb = verb;
  return info;
}

function discovery(info: KubernetesRequestInfo, method: string, group: string | undefined, version: string | undefined): KubernetesRequestInfo {
  info.isDiscovery = method === 'GET' || method === 'HEAD';
  info.verb = info.isDiscovery ? 'get' : method.toLowerCase();
  if (group !== undefined) info.group = group;
  if (version !== undefined) info.version = version;
  return info;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** `kubevirt.io/v1`, `v1` for the core group, or only the group when there is no version. */
export function groupVersion(group: string | undefined, version: string | undefined): string | undefined {
  if (version === undefined) return group || undefined;
  return group ? `${group}/${version}` : version;
}

/**
 * The span name of a request:
 * - resources: `{verb} {group}/{version} {resource}[/{subresource}]` (`get v1 pods`, `create kubevirt.io/v1 virtualmachineinstances`);
 * - discovery: `discover {group}/{version}`, `discover v1`, `discover apis` (the group list), `discover api`;
 * - other paths (`/version`, `/healthz`): `{verb} {path}`.
 */
export function spanNameOf(info: KubernetesRequestInfo): string {
  if (info.isDiscovery) {
    const gv = groupVersion(info.group, info.version);
    return `discover ${gv ?? (info.path.replace(/\/+$/, '').endsWith('/api') ? 'api' : 'apis')}`;
  }
  if (info.isResourceRequest && info.resource !== undefined) {
    const gv = groupVersion(info.group, info.version);
    const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    return `${info.verb} ${gv} ${resource}`;
  }
  return `${info.verb} ${info.path}`;
}
