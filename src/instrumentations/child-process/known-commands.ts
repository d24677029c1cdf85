// Commands the instrumentation understands: kubectl and virtctl get a subcommand span name and
// Kubernetes attributes parsed from their (already redacted) arguments.
import { executableBaseName } from '../../redaction/index';
import { ATTR_K8S_MANIFEST_FILE, ATTR_K8S_NAMESPACE_NAME, ATTR_K8S_OBJECT_NAME, ATTR_K8S_RESOURCE } from '../kubernetes/semconv';

export interface RecognizedCommand {
  name: string;
  attributes: Record<string, string>;
}

/** kubectl/virtctl flags (global and per-command) that take a value as the next argument. */
const VALUE_FLAGS = new Set([
  // global (both tools are cobra programs with the client-go flag set)
  '-n', '--namespace', '--context', '--cluster', '--kubeconfig', '-s', '--server', '--user', '--token', '--as', '--as-group', '--as-uid',
  '--request-timeout', '--certificate-authority', '--client-certificate', '--client-key', '--tls-server-name', '--cache-dir', '-v', '--v',
  '--vmodule', '--log-dir', '--log-file', '--password', '--username', '--profile', '--profile-output',
  // kubectl commands
  '-o', '--output', '-f', '--filename', '-k', '--kustomize', '-l', '--selector', '-c', '--container', '--field-selector', '--sort-by',
  '--template', '-p', '--patch', '--patch-file', '--type', '--timeout', '--for', '--overrides', '--image', '--replicas', '--from-literal',
  '--from-file', '--from-env-file', '--port', '--target-port', '--name', '--grace-period', '--field-manager', '--subresource', '--chunk-size',
  '-L', '--label-columns', '--since', '--since-time', '--tail', '--limit-bytes', '--pod-running-timeout', '--max-log-requests', '--restart',
  '--env', '--labels', '--annotations', '--min', '--max', '--cpu-percent', '--current-replicas', '--resource-version', '--to-revision',
  '--revision', '--docker-server', '--docker-username', '--docker-password', '--docker-email', '--cert', '--key', '--raw', '--prune-allowlist',
  '--target', '--profile', '--copy-to', '--api-group', '-i', '--identity-file',
  // virtctl commands
  '--username', '--local-ssh-opts', '-t', '--known-hosts', '--command', '--image-path', '--size', '--pvc-name', '--pvc-size', '--storage-class',
  '--access-mode', '--uploadproxy-url', '--volume-mode', '--wait-secs', '--archive-path', '--datasource', '--volume-name', '--serial', '--cache',
  '--protocol', '--claim-name', '--output-dir', '--port-name', '--address', '--vnc-port', '--disk-type', '--default-instancetype',
  '--default-preference', '--volume-name', '--volume-source',
]);
/** kubectl's -i/-t are --stdin/--tty and -p is `logs --previous` (booleans); only virtctl's -i, -t take values, and kubectl's -p only for `patch`. */
const KUBECTL_BOOLEAN = new Set(['-i', '-t', '-p']);
const KUBECTL_PATCH_BOOLEAN = new Set(['-i', '-t']);

interface Parsed {
  positionals: string[];
  namespace?: string;
  files: string[];
}

function parseArgs(args: readonly string[], booleanOverrides: ReadonlySet<string>): Parsed {
  const positionals: string[] = [];
  const files: string[] = [];
  let namespace: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break; // the command of `kubectl exec ... -- cmd`
    const long = /^(--[\w-]+)(?:=(.*))?$/s.exec(a);
    const short = long ? null : /^(-[A-Za-z])(?:=?(.+))?$/s.exec(a);
    const flag = long ?? short;
    if (!flag) {
      positionals.push(a);
      continue;
    }
    const name = flag[1];
    let value = flag[2];
    if (value === undefined && VALUE_FLAGS.has(name) && !booleanOverrides.has(name) && i + 1 < args.length) value = args[++i];
    if (value === undefined) continue;
    if (name === '-n' || name === '--namespace') namespace = value;
    if (name === '-f' || name === '--filename' || name === '-k' || name === '--kustomize') files.push(value);
  }
  return { positionals, namespace, files };
}

/** The file name alone: `deploy/app.yaml` -> `app.yaml`; URLs keep their last path segment; `-` (stdin) stays. */
function fileNameOnly(file: string): string {
  if (file === '-') return '-';
  const withoutQuery = file.replace(/[?#].*$/s, '');
  const base = withoutQuery.replace(/[\\/]+$/, '').split(/[\\/]/).pop();
  return base || file;
}

/** `TYPE NAME...` or `TYPE/NAME...` (the forms kubectl accepts); names with `=` (label/annotate pairs) are not names. */
function resources(positionals: readonly string[]): { resource?: string; names: string[] } {
  if (positionals.length === 0) return { names: [] };
  if (positionals[0].includes('/')) {
    const types = new Set<string>();
    const names: string[] = [];
    for (const p of positionals) {
      const slash = p.indexOf('/');
      if (slash <= 0) continue;
      types.add(p.slice(0, slash));
      names.push(p.slice(slash + 1));
    }
    return { resource: [...types].join(','), names };
  }
  return { resource: positionals[0], names: positionals.slice(1).filter((n) => !n.includes('=') && !n.endsWith('-')) };
}

function build(tool: string, verb: string, parsed: Parsed, resource: string | undefined, names: readonly string[]): RecognizedCommand {
  const attributes: Record<string, string> = {};
  if (parsed.namespace) attributes[ATTR_K8S_NAMESPACE_NAME] = parsed.namespace;
  if (resource) attributes[ATTR_K8S_RESOURCE] = resource;
  if (names.length > 0) attributes[ATTR_K8S_OBJECT_NAME] = names.join(',');
  if (parsed.files.length > 0) attributes[ATTR_K8S_MANIFEST_FILE] = parsed.files.map(fileNameOnly).join(',');
  return { name: `${tool} ${verb}`, attributes };
}

/** kubectl subcommands that have subcommands of their own: the span is named after both words. */
const KUBECTL_GROUPS = new Set(['rollout', 'config', 'auth', 'set', 'top', 'certificate', 'plugin', 'cluster-info', 'alpha', 'kustomize', 'apply']);
const KUBECTL_APPLY_SUBCOMMANDS = new Set(['edit-last-applied', 'set-last-applied', 'view-last-applied']);
/** Subcommands whose first argument names a pod (or TYPE/NAME). */
const KUBECTL_POD_VERBS = new Set(['logs', 'exec', 'attach', 'port-forward', 'debug', 'run']);
/** Subcommands on nodes: `kubectl drain NAME`. */
const KUBECTL_NODE_VERBS = new Set(['cordon', 'uncordon', 'drain', 'taint']);

function kubectl(args: readonly string[]): RecognizedCommand | undefined {
  let parsed = parseArgs(args, KUBECTL_BOOLEAN);
  if (parsed.positionals[0] === 'patch') parsed = parseArgs(args, KUBECTL_PATCH_BOOLEAN);
  const [verb, ...rest] = parsed.positionals;
  if (!verb) return undefined;
  if (KUBECTL_GROUPS.has(verb) && rest[0] && (verb !== 'apply' || KUBECTL_APPLY_SUBCOMMANDS.has(rest[0]))) {
    const sub = rest[0];
    const tail = rest.slice(1);
    if (verb === 'config' || verb === 'auth' || verb === 'plugin' || verb === 'cluster-info' || verb === 'alpha' || verb === 'kustomize') {
      return build('kubectl', `${verb} ${sub}`, parsed, undefined, []);
    }
    if (verb === 'certificate') return build('kubectl', `${verb} ${sub}`, parsed, 'certificatesigningrequests', tail);
    // rollout/set/top/apply *-last-applied: TYPE NAME or TYPE/NAME (set: only the first is a resource; then container=image pairs)
    const r = resources(verb === 'set' && tail[0]?.includes('/') ? tail.filter((t) => t.includes('/')) : tail);
    return build('kubectl', `${verb} ${sub}`, parsed, r.resource, r.names);
  }
  if (KUBECTL_POD_VERBS.has(verb)) {
    const target = rest[0];
    if (!target) return build('kubectl', verb, parsed, undefined, []);
    if (target.includes('/')) {
      const r = resources([target]);
      return build('kubectl', verb, parsed, r.resource, r.names);
    }
    return build('kubectl', verb, parsed, 'pod', [target]);
  }
  if (KUBECTL_NODE_VERBS.has(verb)) {
    const names = rest.filter((n) => !n.includes('=') && !n.includes(':'));
    if (names[0] === 'node' || names[0] === 'nodes') names.shift();
    return build('kubectl', verb, parsed, 'node', names.slice(0, verb === 'taint' ? 1 : undefined));
  }
  if (verb === 'create' && rest[0]) {
    // create TYPE NAME; create secret generic|tls|docker-registry NAME; create service clusterip NAME
    const type = rest[0];
    const hasKind = (type === 'secret' || type === 'service' || type === 'svc') && rest[1] !== undefined && rest[2] !== undefined;
    const name = hasKind ? rest[2] : rest[1];
    return build('kubectl', verb, parsed, type, name !== undefined ? [name] : []);
  }
  if (verb === 'explain' || verb === 'api-resources' || verb === 'api-versions' || verb === 'version' || verb === 'completion') {
    return build('kubectl', verb, parsed, verb === 'explain' ? rest[0]?.split('.')[0] : undefined, []);
  }
  if (verb === 'cp') return build('kubectl', verb, parsed, undefined, []);
  // get, describe, delete, edit, label, annotate, patch, scale, expose, wait, autoscale, apply, replace, ...
  const r = resources(rest);
  return build('kubectl', verb, parsed, r.resource, r.names);
}

/** virtctl subcommands on a VirtualMachine by name. */
const VIRTCTL_VM_VERBS = new Set(['start', 'stop', 'restart', 'migrate', 'migrate-cancel', 'expand', 'objectgraph']);
/** virtctl subcommands on a VirtualMachineInstance by name. */
const VIRTCTL_VMI_VERBS = new Set(['console', 'vnc', 'soft-reboot', 'guestosinfo', 'fslist', 'userlist', 'addvolume', 'removevolume', 'usbredir']);
/** virtctl subcommands taking TYPE NAME (`pause vm NAME`, `image-upload dv NAME`). */
const VIRTCTL_TYPED_VERBS = new Set(['pause', 'unpause', 'expose', 'image-upload']);
/** virtctl subcommands whose target is `[user@]TYPE/NAME[.NAMESPACE]`. */
const VIRTCTL_TARGET_VERBS = new Set(['ssh', 'scp', 'port-forward']);
const VIRTCTL_GROUPS = new Set(['memory-dump', 'credentials', 'adm', 'create']);
const VIRTCTL_BOOLEAN = new Set<string>();

function virtctl(args: readonly string[]): RecognizedCommand | undefined {
  const parsed = parseArgs(args, VIRTCTL_BOOLEAN);
  const [verb, ...rest] = parsed.positionals;
  if (!verb) return undefined;
  if (VIRTCTL_VM_VERBS.has(verb)) return build('virtctl', verb, parsed, 'vm', rest.slice(0, 1));
  if (VIRTCTL_VMI_VERBS.has(verb)) return build('virtctl', verb, parsed, 'vmi', rest.slice(0, 1));
  if (VIRTCTL_TYPED_VERBS.has(verb)) {
    if (rest[0]?.includes('/')) {
      const r = resources(rest.slice(0, 1));
      return build('virtctl', verb, parsed, r.resource, r.names);
    }
    return build('virtctl', verb, parsed, rest[0], rest.slice(1, 2));
  }
  if (VIRTCTL_TARGET_VERBS.has(verb)) {
    // ssh user@vmi/name.ns; scp file vm/name.ns:/path; port-forward vm/name.ns 8080
    for (const arg of rest) {
      const m = /^(?:[^@/]+@)?(vmi|vm|virtualmachine|virtualmachineinstance)\/([^.:/\s]+)(?:\.([^:/\s]+))?/.exec(arg);
      if (!m) continue;
      const withNamespace = m[3] && !parsed.namespace ? { ...parsed, namespace: m[3] } : parsed;
      return build('virtctl', verb, withNamespace, m[1], [m[2]]);
    }
    return build('virtctl', verb, parsed, undefined, []);
  }
  if (VIRTCTL_GROUPS.has(verb) && rest[0]) {
    if (verb === 'memory-dump') return build('virtctl', `${verb} ${rest[0]}`, parsed, 'vm', rest.slice(1, 2));
    return build('virtctl', `${verb} ${rest[0]}`, parsed, undefined, []);
  }
  return build('virtctl', verb, parsed, undefined, []);
}

/**
 * Recognizes kubectl and virtctl by the executable's base name (`/usr/local/bin/kubectl`,
 * `kubectl.exe`). `argv` is the executable followed by the redacted arguments.
 */
export function recognizeCommand(argv: readonly string[]): RecognizedCommand | undefined {
  if (argv.length === 0) return undefined;
  const tool = executableBaseName(argv[0]).toLowerCase();
  if (tool === 'kubectl') return kubectl(argv.slice(1));
  if (tool === 'virtctl') return virtctl(argv.slice(1));
  return undefined;
}
