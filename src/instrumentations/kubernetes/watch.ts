// Watch spans: one span per watch stream, linked to the stream it reconnects; for a watch of one
// VirtualMachineInstance, one `WaitForVirtualMachineInstance` span across reconnections.
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import { FINAL_VMI_PHASES, isVmiResource, phaseOf, WAIT_FOR_VMI_SPAN } from './kubevirt';
import { parseRequest, spanNameOf, type KubernetesRequestInfo } from './request-info';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_K8S_OBJECT_NAME,
  ATTR_K8S_OBJECT_STATUS_PHASE,
  ATTR_K8S_STATUS_CODE,
  ATTR_K8S_STATUS_REASON,
  ATTR_K8S_WATCH_END_REASON,
  ATTR_K8S_WATCH_EVENT_COUNT,
  ATTR_K8S_WATCH_EVENT_TYPE,
  ATTR_K8S_WATCH_LINK,
  ATTR_K8S_WATCH_RECONNECT_COUNT,
  ATTR_KUBEVIRT_VMI_PHASE,
  ATTR_NAMESPACE,
  ATTR_PHASE,
  ATTR_PREVIOUS_PHASE,
  ATTR_VMI_NAME,
  EVENT_K8S_WATCH_EVENT,
  EVENT_K8S_WATCH_RECONNECT,
  EVENT_PHASE_TRANSITION,
} from './semconv';
import { errorTypeOf, recordError, requestAttributes, safeErrorMessage } from './span-utils';
import type { KubeConfigLike } from './internal-types';

export interface WatchSettings {
  kubevirt: boolean;
  watchEvents: boolean;
  reconnectWindowMs: number;
  onStart?(span: Span, info: KubernetesRequestInfo): void;
}

/** closed: by the server; aborted: by the program (informer stop); final_phase: the VMI wait saw Succeeded or Failed. */
type EndReason = 'closed' | 'aborted' | 'timeout' | 'error' | 'final_phase';

/** How a stream ended, from the error its `done` callback got. */
function classify(err: unknown): EndReason {
  if (err === null || err === undefined) return 'closed';
  const name = typeof err === 'object' ? (err as { name?: unknown }).name : undefined;
  if (name === 'AbortError') return 'aborted';
  if (name === 'TimeoutError') return 'timeout';
  return 'error';
}

/** A stream that ended recently, for reconnection links. */
interface EndedStream {
  endedAt: number;
  spanContext: SpanContext;
  reconnects: number;
}

/** A phase seen by a get of one VMI: the baseline of a wait that starts right after. */
interface ObservedPhase {
  phase: string;
  at: number;
}

const MAX_TRACKED = 256;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_TRACKED) map.delete(map.keys().next().value as K);
}

function vmiKeyOf(info: KubernetesRequestInfo): string {
  return `${info.serverAddress ?? ''}:${info.serverPort ?? ''}|${info.namespace ?? ''}|${info.name ?? ''}`;
}

/** One `WaitForVirtualMachineInstance` span; it outlives a stream that ends before a final phase. */
class VmiWait {
  readonly span: Span;
  lastPhase?: string;
  eventCount = 0;
  reconnects = 0;
  /** Set while the last stream has ended and a reconnection may continue this span. */
  idleSince?: { time: number; reason: EndReason; error?: unknown };
  private timer?: NodeJS.Timeout;
  ended = false;

  constructor(
    private readonly tracker: WatchTracker,
    readonly key: string,
    readonly info: KubernetesRequestInfo,
    span: Span,
  ) {
    this.span = span;
  }

  onPhase(phase: string | undefined): void {
    if (phase === undefined || phase === '' || phase === this.lastPhase) return;
    this.span.addEvent(EVENT_PHASE_TRANSITION, { [ATTR_PHASE]: phase, [ATTR_PREVIOUS_PHASE]: this.lastPhase ?? '' });
    this.lastPhase = phase;
    this.span.setAttribute(ATTR_PHASE, phase);
    this.span.setAttribute(ATTR_KUBEVIRT_VMI_PHASE, phase);
    // The wait is over when the VMI is: later events of the stream are not part of it.
    if (this.finished) this.finish('final_phase');
  }

  get finished(): boolean {
    return this.lastPhase !== undefined && FINAL_VMI_PHASES.has(this.lastPhase);
  }

  /** A stream of this wait ended. */
  streamEnded(reason: EndReason, err: unknown): void {
    if (this.ended) return;
    if (reason === 'error') recordError(this.span, err, false);
    if (reason === 'aborted' || this.finished) return this.finish(reason, err);
    this.idleSince = { time: Date.now(), reason, error: err };
    this.tracker.parkVmiWait(this);
    this.timer = setTimeout(() => this.finish(), this.tracker.settings.reconnectWindowMs);
    this.timer.unref?.();
  }

  /** A new stream continues this wait. */
  resume(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.idleSince = undefined;
    this.reconnects++;
    this.span.addEvent(EVENT_K8S_WATCH_RECONNECT, { [ATTR_K8S_WATCH_RECONNECT_COUNT]: this.reconnects });
  }

  /** Ends the span: at the last stream's end when it was left waiting for a reconnection. */
  finish(reason?: EndReason, err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.tracker.unparkVmiWait(this);
    const idle = this.idleSince;
    const endReason = reason ?? idle?.reason ?? 'closed';
    const error = reason ? err : idle?.error;
    try {
      this.span.setAttribute(ATTR_K8S_WATCH_EVENT_COUNT, this.eventCount);
      this.span.setAttribute(ATTR_K8S_WATCH_RECONNECT_COUNT, this.reconnects);
      this.span.setAttribute(ATTR_K8S_WATCH_END_REASON, endReason);
      if (this.lastPhase === 'Failed') {
        this.span.setAttribute(ATTR_ERROR_TYPE, 'VirtualMachineInstanceFailed');
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: `VirtualMachineInstance ${this.info.name ?? ''} Failed`.replace('  ', ' ') });
      } else if (endReason === 'error' && !this.finished) {
        setStreamError(this.span, error);
      }
    } finally {
      this.tracker.streamFinished(this.key, this.span, this.reconnects);
      this.span.end(idle ? idle.time : undefined);
    }
  }
}

function setStreamError(span: Span, err: unknown): void {
  const statusCode = err && typeof err === 'object' ? (err as { statusCode?: unknown }).statusCode : undefined;
  if (typeof statusCode === 'number') span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
  span.setAttribute(ATTR_ERROR_TYPE, errorTypeOf(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: safeErrorMessage(err) || errorTypeOf(err) });
}

/** One call of Watch.watch. */
export class WatchStream {
  readonly context: Context;
  private eventCount = 0;
  private ended = false;
  /** For a watch of VMIs not narrowed to one: the phase per VMI name. */
  private phases?: Map<string, string>;

  constructor(
    private readonly tracker: WatchTracker,
    readonly info: KubernetesRequestInfo,
    private readonly key: string,
    readonly span: Span,
    private readonly reconnects: number,
    private readonly wait: VmiWait | undefined,
    parent: Context,
  ) {
    this.context = trace.setSpan(parent, span);
    if (!wait && tracker.settings.kubevirt && isVmiResource(info.group, info.resource)) this.phases = new Map();
  }

  onEvent(type: unknown, obj: unknown): void {
    if (this.ended || this.wait?.ended) return;
    this.eventCount++;
    if (this.eventCount === 1) this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, 200);
    if (this.wait) this.wait.eventCount++;
    const typeName = typeof type === 'string' ? type : String(type);
    const meta = obj && typeof obj === 'object' ? (obj as { metadata?: { name?: unknown } }).metadata : undefined;
    const name = meta && typeof meta.name === 'string' ? meta.name : undefined;
    const phase = typeName === 'ERROR' || typeName === 'BOOKMARK' ? undefined : phaseOf(obj);
    if (this.tracker.settings.watchEvents) {
      const attributes: Attributes = { [ATTR_K8S_WATCH_EVENT_TYPE]: typeName };
      if (name !== undefined) attributes[ATTR_K8S_OBJECT_NAME] = name;
      if (phase !== undefined) attributes[ATTR_K8S_OBJECT_STATUS_PHASE] = phase;
      if (typeName === 'ERROR' && obj && typeof obj === 'object') {
        const status = obj as { reason?: unknown; code?: unknown };
        if (typeof status.reason === 'string') attributes[ATTR_K8S_STATUS_REASON] = status.reason;
        if (typeof status.code === 'number') attributes[ATTR_K8S_STATUS_CODE] = status.code;
      }
      this.span.addEvent(EVENT_K8S_WATCH_EVENT, attributes);
    }
    if (phase === undefined || name === undefined) return;
    if (this.wait) {
      if (name === this.wait.info.name) this.wait.onPhase(phase);
    } else if (this.phases) {
      const previous = this.phases.get(name);
      if (phase !== '' && phase !== previous) {
        this.span.addEvent(EVENT_PHASE_TRANSITION, { [ATTR_PHASE]: phase, [ATTR_PREVIOUS_PHASE]: previous ?? '', [ATTR_VMI_NAME]: name });
      }
      if (this.phases.size < MAX_TRACKED || this.phases.has(name)) this.phases.set(name, phase);
    }
  }

  onDone(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const reason = classify(err);
    if (this.wait) {
      if (!this.wait.ended) this.wait.streamEnded(reason, err);
      return;
    }
    try {
      if (reason === 'closed' || reason === 'aborted' || reason === 'timeout') {
        if (this.eventCount === 0 && reason === 'closed') this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, 200);
      } else {
        recordError(this.span, err, false);
        setStreamError(this.span, err);
      }
      this.span.setAttribute(ATTR_K8S_WATCH_EVENT_COUNT, this.eventCount);
      this.span.setAttribute(ATTR_K8S_WATCH_RECONNECT_COUNT, this.reconnects);
      this.span.setAttribute(ATTR_K8S_WATCH_END_REASON, reason);
      this.renameIfOneVmi();
    } finally {
      this.tracker.streamFinished(this.key, this.span, this.reconnects);
      this.span.end();
    }
  }

  /** A watch of VMIs that saw exactly one is that VMI's wait. */
  private renameIfOneVmi(): void {
    if (!this.phases || this.phases.size !== 1) return;
    const [[name, phase]] = [...this.phases];
    this.span.updateName(WAIT_FOR_VMI_SPAN);
    this.span.setAttribute(ATTR_VMI_NAME, name);
    if (this.info.namespace) this.span.setAttribute(ATTR_NAMESPACE, this.info.namespace);
    if (phase) {
      this.span.setAttribute(ATTR_PHASE, phase);
      this.span.setAttribute(ATTR_KUBEVIRT_VMI_PHASE, phase);
    }
    if (phase === 'Failed') {
      this.span.setAttribute(ATTR_ERROR_TYPE, 'VirtualMachineInstanceFailed');
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: `VirtualMachineInstance ${name} Failed` });
    }
  }
}

export class WatchTracker {
  /** Last ended stream per watch key (server, path, selectors). */
  private readonly recent = new Map<string, EndedStream>();
  /** VMI waits whose stream ended before a final phase, by VMI. */
  private readonly parked = new Map<string, VmiWait>();
  private readonly observedPhases = new Map<string, ObservedPhase>();
  private exitHooked = false;

  constructor(
    private readonly tracer: () => Tracer,
    readonly settings: WatchSettings,
  ) {}

  /** A get of one VMI saw this phase. */
  observePhase(info: KubernetesRequestInfo, phase: string): void {
    if (phase) remember(this.observedPhases, vmiKeyOf(info), { phase, at: Date.now() });
  }

  /** Starts the span(s) of a Watch.watch call; undefined when the call is not understood. */
  start(config: KubeConfigLike | undefined, path: string, queryParams: Record<string, unknown> | undefined): WatchStream | undefined {
    const server = config?.getCurrentCluster?.()?.server;
    if (typeof server !== 'string' || !server || typeof path !== 'string') return undefined;
    const info = parseRequest('GET', server + path, { ...(queryParams ?? {}), watch: 'true' });
    const key = `${server}|${info.path}|${info.fieldSelector ?? ''}|${info.labelSelector ?? ''}`;
    const parent = context.active();
    const now = Date.now();
    const previous = this.recent.get(key);
    const isReconnect = previous !== undefined && now - previous.endedAt <= this.settings.reconnectWindowMs;
    if (previous) this.recent.delete(key);

    const isVmiWait = this.settings.kubevirt && isVmiResource(info.group, info.resource) && info.name !== undefined && info.subresource === undefined;
    if (isVmiWait) {
      const vmiKey = vmiKeyOf(info);
      const waiting = this.parked.get(vmiKey);
      if (waiting && !waiting.ended) {
        this.parked.delete(vmiKey);
        waiting.resume();
        return new WatchStream(this, info, key, waiting.span, waiting.reconnects, waiting, parent);
      }
      const attributes: Attributes = { ...requestAttributes(info), [ATTR_VMI_NAME]: info.name as string };
      if (info.namespace) attributes[ATTR_NAMESPACE] = info.namespace;
      const span = this.startSpan(WAIT_FOR_VMI_SPAN, attributes, parent, isReconnect ? previous : undefined, info);
      const wait = new VmiWait(this, key, info, span);
      wait.reconnects = isReconnect ? previous.reconnects + 1 : 0;
      const observed = this.observedPhases.get(vmiKey);
      if (observed && now - observed.at <= this.settings.reconnectWindowMs) wait.onPhase(observed.phase);
      return new WatchStream(this, info, key, span, wait.reconnects, wait, parent);
    }
    const span = this.startSpan(spanNameOf(info), requestAttributes(info), parent, isReconnect ? previous : undefined, info);
    return new WatchStream(this, info, key, span, isReconnect ? previous.reconnects + 1 : 0, undefined, parent);
  }

  private startSpan(name: string, attributes: Attributes, parent: Context, previous: EndedStream | undefined, info: KubernetesRequestInfo): Span {
    const links: Link[] = previous ? [{ context: previous.spanContext, attributes: { [ATTR_K8S_WATCH_LINK]: 'previous_stream' } }] : [];
    if (previous) attributes[ATTR_K8S_WATCH_RECONNECT_COUNT] = previous.reconnects + 1;
    const span = this.tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes, links }, parent);
    try {
      this.settings.onStart?.(span, info);
    } catch {
      // A throwing hook changes nothing.
    }
    return span;
  }

  streamFinished(key: string, span: Span, reconnects: number): void {
    remember(this.recent, key, { endedAt: Date.now(), spanContext: span.spanContext(), reconnects });
  }

  parkVmiWait(wait: VmiWait): void {
    this.parked.set(vmiKeyOf(wait.info), wait);
    this.hookExit();
  }

  unparkVmiWait(wait: VmiWait): void {
    const key = vmiKeyOf(wait.info);
    if (this.parked.get(key) === wait) this.parked.delete(key);
  }

  /** Ends every wait left open for a reconnection, at its stream's end time. */
  finishParked(): void {
    for (const wait of [...this.parked.values()]) {
      try {
        wait.finish();
      } catch {
        // Never in the way of the process ending.
      }
    }
  }

  /**
   * A parked wait keeps no timer alive: when the program ends first, the spans are ended before the
   * agent's own beforeExit/exit handlers deliver what ended (hence prepended).
   */
  private hookExit(): void {
    if (this.exitHooked) return;
    this.exitHooked = true;
    const finish = () => this.finishParked();
    process.prependListener('beforeExit', finish);
    process.prependListener('exit', finish);
  }
}
