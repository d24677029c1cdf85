#!/usr/bin/env node
// A small Kubernetes API server simulator (Node built-ins only) that @kubernetes/client-node accepts:
// CRUD, list and watch for arbitrary resources, discovery, Status errors, and KubeVirt behaviour
// (VirtualMachineInstances go through their phases on a schedule; DataVolumes get imported).
//
//   import { startSimulator } from './simulator/index.mjs';
//   const sim = await startSimulator({ phaseMs: 50 });   // { url, port, kubeconfigPath, state, close() }
//
//   node simulator/index.mjs [--port 0] [--phase-ms 500] [--fail-vmi NAME] [--cut-watch N] [--kubeconfig FILE]
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Resources served by discovery. Anything else still gets CRUD, list and watch. */
export const DEFAULT_RESOURCES = [
  { group: '', version: 'v1', name: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', name: 'pods', kind: 'Pod', namespaced: true, subresources: ['status', 'log'] },
  { group: '', version: 'v1', name: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', name: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', name: 'services', kind: 'Service', namespaced: true, subresources: ['status'] },
  { group: 'kubevirt.io', version: 'v1', name: 'virtualmachines', kind: 'VirtualMachine', namespaced: true, subresources: ['status'] },
  { group: 'kubevirt.io', version: 'v1', name: 'virtualmachineinstances', kind: 'VirtualMachineInstance', namespaced: true, subresources: ['status'] },
  { group: 'cdi.kubevirt.io', version: 'v1beta1', name: 'datavolumes', kind: 'DataVolume', namespaced: true, subresources: ['status'] },
];

export const VMI_PHASES = ['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded'];
/** An annotation (or label) on a VMI with value "true" makes it end in Failed instead of Succeeded. */
export const FAIL_ANNOTATION = 'simulator.kubevirt.io/fail';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const HISTORY_LIMIT = 5000;

/** Template VirtualMachines the simulator starts with (namespace `default` unless told otherwise). */
export function seedTemplates(namespace = 'default') {
  const domain = { devices: { disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] }, resources: { requests: { memory: '2Gi' } } };
  return [
    {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'vm-template', namespace, labels: { app: 'kubevirt-actions-runner' } },
      spec: {
        runStrategy: 'Manual',
        dataVolumeTemplates: [
          {
            metadata: { name: 'ubuntu-dv' },
            spec: { storage: { volumeMode: 'Filesystem', resources: { requests: { storage: '10Gi' } } }, source: { registry: { url: 'docker://quay.io/containerdisks/ubuntu:22.04' } } },
          },
        ],
        template: {
          metadata: { labels: { 'kubevirt.io/domain': 'runner' } },
          spec: { domain, networks: [{ name: 'default', pod: {} }], volumes: [{ name: 'rootdisk', dataVolume: { name: 'ubuntu-dv' } }] },
        },
      },
    },
    {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'vm-template-ephemeral', namespace, labels: { app: 'kubevirt-actions-runner' } },
      spec: {
        runStrategy: 'Manual',
        template: {
          metadata: { labels: { 'kubevirt.io/domain': 'runner' } },
          spec: { domain, networks: [{ name: 'default', pod: {} }], volumes: [{ name: 'rootdisk', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } }] },
        },
      },
    },
  ];
}

function statusBody(code, reason, message, details) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

class HttpError extends Error {
  constructor(code, reason, message, details) {
    super(message);
    this.status = statusBody(code, reason, message, details);
  }
}

const clone = (value) => (value === undefined ? undefined : structuredClone(value));

/** `/api/v1/namespaces/ns/pods/name/status` -> parts; undefined for non-resource paths. */
function parseResourcePath(pathname) {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group;
  let version;
  let rest;
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return { group, version, discovery: true };
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace;
  if (rest[0] === 'namespaces' && rest.length > 2 && !['status', 'finalize'].includes(rest[2])) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  return { group, version, namespace, resource: rest[0], name: rest[1], subresource: rest[2], watchPrefix };
}

function parseSelector(selector) {
  if (!selector) return [];
  return selector
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean)
    .map((term) => {
      let m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (m) return { key: m[1].trim(), op: m[2] === '!=' ? '!=' : '=', value: m[3].trim() };
      m = /^!\s*(.+)$/.exec(term);
      if (m) return { key: m[1].trim(), op: '!exists' };
      return { key: term, op: 'exists' };
    });
}

function fieldValue(obj, key) {
  return key.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), obj);
}

function matches(obj, fieldSelector, labelSelector) {
  for (const term of fieldSelector) {
    const value = fieldValue(obj, term.key);
    const s = value === undefined || value === null ? '' : String(value);
    if (term.op === '=' && s !== term.value) return false;
    if (term.op === '!=' && s === term.value) return false;
  }
  const labels = obj.metadata?.labels ?? {};
  for (const term of labelSelector) {
    const has = Object.prototype.hasOwnProperty.call(labels, term.key);
    if (term.op === 'exists' && !has) return false;
    if (term.op === '!exists' && has) return false;
    if (term.op === '=' && labels[term.key] !== term.value) return false;
    if (term.op === '!=' && labels[term.key] === term.value) return false;
  }
  return true;
}

/** RFC 7386 JSON merge patch (also used for strategic merge patches: lists are replaced). */
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch: add, remove, replace, test. */
function jsonPatch(target, ops) {
  const doc = clone(target);
  for (const op of Array.isArray(ops) ? ops : []) {
    const keys = String(op.path ?? '')
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop();
    let parent = doc;
    for (const k of keys) {
      if (parent[k] === undefined) parent[k] = {};
      parent = parent[k];
    }
    if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(parent) && op.op === 'add') parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
      else parent[last] = op.value;
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new HttpError(422, 'Invalid', `test operation failed at ${op.path}`);
    } else {
      throw new HttpError(422, 'Invalid', `unsupported patch operation ${op.op}`);
    }
  }
  return doc;
}

/**
 * Starts the simulator.
 * @param {object} [options]
 * @param {number} [options.port=0]
 * @param {string} [options.host='127.0.0.1']
 * @param {number} [options.phaseMs=500] ms a VirtualMachineInstance spends in each phase
 * @param {string[]} [options.vmiPhases] phases a VMI goes through (default Pending, Scheduling, Scheduled, Running, Succeeded)
 * @param {string|string[]|((vmi: object) => boolean)} [options.failVmi] VMIs that end in Failed (also: annotation or label simulator.kubevirt.io/fail: "true")
 * @param {{afterEvents?: number, times?: number, resource?: string, mode?: 'end'|'destroy'}} [options.cutWatch]
 *        close watch streams after `afterEvents` events (default 1), for the first `times` streams (default 1), optionally only for one resource
 * @param {string|null} [options.token] bearer token required on every request (default: a random one; null: no auth)
 * @param {string} [options.namespace='default'] namespace of the seeded templates
 * @param {boolean} [options.seed=true] seed the template VirtualMachines
 * @param {object[]} [options.resources] extra discovery entries ({ group, version, name, kind, namespaced })
 * @param {string} [options.kubeconfigPath] where to write the kubeconfig (default: a temp directory)
 * @param {(line: string) => void} [options.log]
 */
export async function startSimulator(options = {}) {
  const phaseMs = options.phaseMs ?? 500;
  const vmiPhases = options.vmiPhases ?? VMI_PHASES;
  const token = options.token === undefined ? `sim-${randomBytes(16).toString('hex')}` : options.token;
  const log = options.log ?? (() => {});
  const resources = [...DEFAULT_RESOURCES, ...(options.resources ?? [])];
  const events = new EventEmitter();
  /** `${group}/${version}/${resource}` -> Map(`${namespace}/${name}` -> object) */
  const store = new Map();
  const history = [];
  const timers = new Set();
  const watchers = new Set();
  const failNames = new Set(typeof options.failVmi === 'string' ? [options.failVmi] : Array.isArray(options.failVmi) ? options.failVmi : []);
  const failPredicate = typeof options.failVmi === 'function' ? options.failVmi : undefined;
  let cut = options.cutWatch ? { afterEvents: 1, times: 1, mode: 'end', ...options.cutWatch } : undefined;
  let resourceVersion = 1000;
  let closed = false;

  const definitionOf = (group, version, resource) => resources.find((r) => r.group === group && r.version === version && r.name === resource);
  const bucketKey = (group, version, resource) => `${group}/${version}/${resource}`;
  const bucket = (group, version, resource) => {
    const key = bucketKey(group, version, resource);
    if (!store.has(key)) store.set(key, new Map());
    return store.get(key);
  };
  const later = (ms, fn) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) fn();
    }, ms);
    timers.add(timer);
  };

  function record(type, group, version, resource, obj) {
    const entry = { rv: Number(obj.metadata.resourceVersion), type, key: bucketKey(group, version, resource), object: clone(obj) };
    history.push(entry);
    if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
    for (const watcher of watchers) watcher.offer(entry);
    events.emit('change', { type, group, version, resource, namespace: obj.metadata.namespace, name: obj.metadata.name, object: clone(obj) });
  }

  function put(group, version, resource, obj, type) {
    obj.metadata.resourceVersion = String(++resourceVersion);
    bucket(group, version, resource).set(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, obj);
    record(type, group, version, resource, obj);
    return obj;
  }

  function createObject(group, version, resource, namespace, body) {
    const def = definitionOf(group, version, resource);
    const obj = clone(body ?? {});
    obj.apiVersion ??= group ? `${group}/${version}` : version;
    obj.kind ??= def?.kind ?? 'Object';
    obj.metadata ??= {};
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = `${obj.metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (!obj.metadata.name) throw new HttpError(422, 'Invalid', `${resource} "" is invalid: metadata.name: Required value`);
    if (namespace && obj.metadata.namespace && obj.metadata.namespace !== namespace) {
      throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    if (namespace) obj.metadata.namespace = namespace;
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    if (bucket(group, version, resource).has(key)) {
      throw new HttpError(409, 'AlreadyExists', `${resource}${group ? `.${group}` : ''} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, group, kind: resource });
    }
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    obj.metadata.generation = 1;
    delete obj.metadata.resourceVersion;
    if (group === 'kubevirt.io' && resource === 'virtualmachineinstances') obj.status = {};
    if (group === 'cdi.kubevirt.io' && resource === 'datavolumes') obj.status = { phase: 'Pending' };
    put(group, version, resource, obj, 'ADDED');
    if (group === 'kubevirt.io' && resource === 'virtualmachineinstances') scheduleVmi(obj.metadata.namespace, obj.metadata.name, 0);
    if (group === 'cdi.kubevirt.io' && resource === 'datavolumes') later(phaseMs, () => setPhase(group, version, resource, obj.metadata.namespace, obj.metadata.name, 'Succeeded'));
    return obj;
  }

  function getObject(group, version, resource, namespace, name) {
    const obj = bucket(group, version, resource).get(`${namespace ?? ''}/${name}`);
    if (!obj) throw new HttpError(404, 'NotFound', `${resource}${group ? `.${group}` : ''} "${name}" not found`, { name, group, kind: resource });
    return obj;
  }

  function setPhase(group, version, resource, namespace, name, phase) {
    const current = bucket(group, version, resource).get(`${namespace ?? ''}/${name}`);
    if (!current) return false;
    const next = clone(current);
    next.status = { ...(next.status ?? {}), phase };
    put(group, version, resource, next, 'MODIFIED');
    events.emit('phase', { group, resource, namespace, name, phase });
    log(`${resource} ${namespace}/${name} -> ${phase}`);
    return true;
  }

  function shouldFail(vmi) {
    const flag = vmi.metadata?.annotations?.[FAIL_ANNOTATION] ?? vmi.metadata?.labels?.[FAIL_ANNOTATION];
    return flag === 'true' || failNames.has(vmi.metadata?.name) || (failPredicate ? Boolean(failPredicate(clone(vmi))) : false);
  }

  function scheduleVmi(namespace, name, index) {
    later(phaseMs, () => {
      const vmi = bucket('kubevirt.io', 'v1', 'virtualmachineinstances').get(`${namespace}/${name}`);
      if (!vmi || index >= vmiPhases.length) return;
      let phase = vmiPhases[index];
      const isLast = index === vmiPhases.length - 1;
      if (isLast && shouldFail(vmi)) phase = 'Failed';
      setPhase('kubevirt.io', 'v1', 'virtualmachineinstances', namespace, name, phase);
      if (!isLast) scheduleVmi(namespace, name, index + 1);
    });
  }

  function deleteObject(group, version, resource, namespace, name) {
    const b = bucket(group, version, resource);
    const key = `${namespace ?? ''}/${name}`;
    const obj = getObject(group, version, resource, namespace, name);
    b.delete(key);
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(++resourceVersion);
    gone.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    record('DELETED', group, version, resource, gone);
    return gone;
  }

  function listObjects(group, version, resource, namespace, fieldSelector, labelSelector) {
    const items = [...bucket(group, version, resource).values()].filter(
      (o) => (namespace === undefined || o.metadata.namespace === namespace) && matches(o, fieldSelector, labelSelector),
    );
    return items.map(clone);
  }

  // ------------------------------------------------------------------------------------------
  // HTTP

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      const status = err instanceof HttpError ? err.status : statusBody(500, 'InternalError', `simulator error: ${err?.message ?? err}`);
      if (!res.headersSent) send(res, status.code, status);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;

  function send(res, code, body) {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function readJson(req) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, 'BadRequest', 'the request body is not valid JSON');
    }
  }

  function discovery(pathname) {
    const hostPort = `${address.address}:${address.port}`;
    if (pathname === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }] };
    const groups = new Map();
    for (const r of resources.filter((r) => r.group)) {
      if (!groups.has(r.group)) groups.set(r.group, new Set());
      groups.get(r.group).add(r.version);
    }
    const groupBody = (name) => {
      const versions = [...groups.get(name)].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
    };
    if (pathname === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups.keys()].map((g) => ({ ...groupBody(g), kind: undefined, apiVersion: undefined })) };
    const m = /^\/apis\/([^/]+)$/.exec(pathname);
    if (m) {
      if (!groups.has(m[1])) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
      return groupBody(m[1]);
    }
    return undefined;
  }

  function resourceList(group, version) {
    const list = resources.filter((r) => r.group === group && r.version === version);
    if (list.length === 0) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    const entries = [];
    for (const r of list) {
      entries.push({ name: r.name, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: VERBS });
      for (const sub of r.subresources ?? []) entries.push({ name: `${r.name}/${sub}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: entries };
  }

  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const pathname = url.pathname.replace(/\/+$/, '') || '/';
    const query = url.searchParams;
    const method = (req.method ?? 'GET').toUpperCase();
    const entry = { method, path: pathname, query: Object.fromEntries(query), time: Date.now() };
    state.requests.push(entry);
    if (state.requests.length > HISTORY_LIMIT) state.requests.splice(0, state.requests.length - HISTORY_LIMIT);
    events.emit('request', entry);

    if (token !== null && req.headers.authorization !== `Bearer ${token}`) {
      throw new HttpError(401, 'Unauthorized', 'Unauthorized');
    }
    if (pathname === '/version') return send(res, 200, { major: '1', minor: '33', gitVersion: 'v1.33.0-simulator', platform: 'linux/amd64' });
    if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end('ok');
    }
    const disc = method === 'GET' ? discovery(pathname) : undefined;
    if (disc) return send(res, 200, disc);
    const target = parseResourcePath(pathname);
    if (!target) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    const { group, version } = target;
    if (target.discovery) {
      if (method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported here`);
      return send(res, 200, resourceList(group, version));
    }
    const { namespace, resource, name, subresource } = target;
    const def = definitionOf(group, version, resource);
    const ns = def && !def.namespaced ? undefined : namespace;
    const fieldSelector = parseSelector(query.get('fieldSelector') ?? '');
    const labelSelector = parseSelector(query.get('labelSelector') ?? '');
    const isWatch = target.watchPrefix || ['true', '1'].includes((query.get('watch') ?? '').toLowerCase());

    if (method === 'GET' && isWatch) {
      if (name) fieldSelector.push({ key: 'metadata.name', op: '=', value: name });
      return startWatch(req, res, { group, version, resource, namespace: ns, fieldSelector, labelSelector, query });
    }
    switch (method) {
      case 'GET': {
        if (name) return send(res, 200, getObject(group, version, resource, ns, name));
        const items = listObjects(group, version, resource, ns, fieldSelector, labelSelector);
        const kind = `${def?.kind ?? items[0]?.kind ?? 'Object'}List`;
        return send(res, 200, { kind, apiVersion: group ? `${group}/${version}` : version, metadata: { resourceVersion: String(resourceVersion) }, items });
      }
      case 'POST': {
        if (name) throw new HttpError(405, 'MethodNotAllowed', 'POST to an object is not supported');
        return send(res, 201, createObject(group, version, resource, ns, await readJson(req)));
      }
      case 'PUT': {
        const body = (await readJson(req)) ?? {};
        const current = getObject(group, version, resource, ns, name);
        const sent = body.metadata?.resourceVersion;
        if (sent && sent !== current.metadata.resourceVersion) {
          throw new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        const next = subresource === 'status' ? { ...clone(current), status: body.status } : { ...body, metadata: { ...current.metadata, ...body.metadata, name, namespace: current.metadata.namespace, uid: current.metadata.uid } };
        if (subresource !== 'status') next.status = body.status ?? current.status;
        next.metadata.generation = (current.metadata.generation ?? 1) + 1;
        return send(res, 200, put(group, version, resource, next, 'MODIFIED'));
      }
      case 'PATCH': {
        const body = await readJson(req);
        const current = getObject(group, version, resource, ns, name);
        const type = String(req.headers['content-type'] ?? '');
        let next = type.includes('json-patch') ? jsonPatch(current, body) : mergePatch(current, body ?? {});
        next.metadata = { ...next.metadata, name, namespace: current.metadata.namespace, uid: current.metadata.uid };
        return send(res, 200, put(group, version, resource, next, 'MODIFIED'));
      }
      case 'DELETE': {
        if (name) return send(res, 200, deleteObject(group, version, resource, ns, name));
        const items = listObjects(group, version, resource, ns, fieldSelector, labelSelector).map((o) => deleteObject(group, version, resource, o.metadata.namespace, o.metadata.name));
        return send(res, 200, { kind: `${def?.kind ?? 'Object'}List`, apiVersion: group ? `${group}/${version}` : version, metadata: { resourceVersion: String(resourceVersion) }, items });
      }
      default:
        throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported`);
    }
  }

  let watchCount = 0;
  function startWatch(req, res, spec) {
    const key = bucketKey(spec.group, spec.version, spec.resource);
    const id = ++watchCount;
    const fromParam = spec.query.get('resourceVersion');
    const from = fromParam && fromParam !== '0' ? Number(fromParam) : undefined;
    const oldest = history.length > 0 ? history[0].rv : resourceVersion + 1;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    let sent = 0;
    let open = true;
    const cutThis = cut && cut.times > 0 && (!cut.resource || cut.resource === spec.resource);
    if (cutThis) cut.times--;
    const wanted = (o) => (spec.namespace === undefined || o.metadata?.namespace === spec.namespace) && matches(o, spec.fieldSelector, spec.labelSelector);
    const write = (type, object) => {
      if (!open) return;
      res.write(`${JSON.stringify({ type, object })}\n`);
      sent++;
      if (cutThis && sent >= cut.afterEvents) {
        log(`watch #${id} on ${spec.resource}: cut after ${sent} event(s)`);
        events.emit('watch-cut', { id, resource: spec.resource, events: sent });
        stop(cut.mode === 'destroy' ? 'destroy' : 'end');
      }
    };
    const watcher = {
      id,
      resource: spec.resource,
      offer(entry) {
        if (entry.key === key && wanted(entry.object)) write(entry.type, entry.object);
      },
      stop: (how = 'end') => stop(how),
    };
    const stop = (how) => {
      if (!open) return;
      open = false;
      watchers.delete(watcher);
      if (timeout) clearTimeout(timeout);
      if (how === 'destroy') res.destroy();
      else res.end();
    };
    watchers.add(watcher);
    // Disconnects are seen on the response, not the request (the request ends once its body is read).
    res.on('close', () => {
      const wasOpen = open;
      open = false;
      watchers.delete(watcher);
      if (timeout) clearTimeout(timeout);
      events.emit('watch-closed', { id, resource: spec.resource, byClient: wasOpen, events: sent });
    });
    const timeoutSeconds = Number(spec.query.get('timeoutSeconds') ?? 0);
    const timeout = timeoutSeconds > 0 ? setTimeout(() => stop('end'), timeoutSeconds * 1000) : undefined;
    events.emit('watch', { id, resource: spec.resource, namespace: spec.namespace, query: Object.fromEntries(spec.query), resourceVersion: fromParam ?? undefined });
    if (from === undefined) {
      for (const obj of bucket(spec.group, spec.version, spec.resource).values()) if (wanted(obj)) write('ADDED', clone(obj));
    } else if (from < oldest - 1 && history.length >= HISTORY_LIMIT) {
      write('ERROR', statusBody(410, 'Expired', `too old resource version: ${from} (${oldest - 1})`));
      stop('end');
    } else {
      for (const entry of history) if (entry.rv > from && open) watcher.offer(entry);
    }
  }

  // ------------------------------------------------------------------------------------------

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address();
  const url = `http://${address.address}:${address.port}`;

  const kubeconfigPath = options.kubeconfigPath ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-simulator-')), 'kubeconfig');
  fs.writeFileSync(kubeconfigPath, kubeconfigYaml(url, token, options.namespace ?? 'default'), { mode: 0o600 });

  const state = {
    /** Requests as received (method, path, query; never bodies). */
    requests: [],
    /** 'request', 'change', 'phase', 'watch', 'watch-cut', 'watch-closed'. */
    events,
    get resourceVersion() {
      return resourceVersion;
    },
    get activeWatches() {
      return watchers.size;
    },
    /** A stored object (a copy), or undefined. */
    get(group, version, resource, namespace, name) {
      const obj = bucket(group, version, resource).get(`${namespace ?? ''}/${name}`);
      return clone(obj);
    },
    list(group, version, resource, namespace) {
      return listObjects(group, version, resource, namespace, [], []);
    },
    create(group, version, resource, namespace, body) {
      return clone(createObject(group, version, resource, namespace, body));
    },
    delete(group, version, resource, namespace, name) {
      return clone(deleteObject(group, version, resource, namespace, name));
    },
    setPhase(group, version, resource, namespace, name, phase) {
      return setPhase(group, version, resource, namespace, name, phase);
    },
    /** Make this VMI end in Failed. */
    failVmi(name) {
      failNames.add(name);
    },
    /** Close every open watch stream now ('end': clean end of stream; 'destroy': reset the connection). */
    cutWatches(how = 'end') {
      for (const watcher of [...watchers]) watcher.stop(how);
    },
    /** Cut the next `times` watch streams after `afterEvents` events. */
    setCutWatch(spec) {
      cut = spec ? { afterEvents: 1, times: 1, mode: 'end', ...spec } : undefined;
    },
  };
  if (options.seed !== false) for (const vm of seedTemplates(options.namespace ?? 'default')) createObject('kubevirt.io', 'v1', 'virtualmachines', vm.metadata.namespace, vm);

  return {
    url,
    port: address.port,
    kubeconfigPath,
    token,
    state,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const watcher of [...watchers]) watcher.stop('end');
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function kubeconfigYaml(url, token, namespace = 'default') {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: simulator',
    '    cluster:',
    `      server: ${url}`,
    '      insecure-skip-tls-verify: true',
    'contexts:',
    '  - name: simulator',
    '    context:',
    '      cluster: simulator',
    '      user: simulator',
    `      namespace: ${namespace}`,
    'current-context: simulator',
    'users:',
    '  - name: simulator',
    '    user:',
    ...(token ? [`      token: ${token}`] : ['      {}']),
    '',
  ].join('\n');
}

// ------------------------------------------------------------------------------------------------
// CLI

function parseCli(argv) {
  const options = { phaseMs: 500, log: (line) => console.log(`[simulator] ${line}`) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    if (arg === '--port') options.port = Number(value());
    else if (arg === '--phase-ms') options.phaseMs = Number(value());
    else if (arg === '--fail-vmi') options.failVmi = [...(options.failVmi ?? []), value()];
    else if (arg === '--cut-watch') options.cutWatch = { afterEvents: Number(value()), times: 1 };
    else if (arg === '--kubeconfig') options.kubeconfigPath = path.resolve(value());
    else if (arg === '--no-auth') options.token = null;
    else if (arg === '--namespace') options.namespace = value();
    else if (arg === '-h' || arg === '--help') {
      console.log('usage: node simulator/index.mjs [--port N] [--phase-ms MS] [--fail-vmi NAME] [--cut-watch EVENTS] [--kubeconfig FILE] [--namespace NS] [--no-auth]');
      process.exit(0);
    } else {
      console.error(`unknown argument: ${arg}`);
      process.exit(2);
    }
  }
  return options;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sim = await startSimulator(parseCli(process.argv.slice(2)));
  console.log(`Kubernetes API simulator listening on ${sim.url}`);
  console.log(`kubeconfig: ${sim.kubeconfigPath}`);
  console.log(`export KUBECONFIG=${sim.kubeconfigPath}`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
