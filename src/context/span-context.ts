// The contexts the agent's instrumentations derive for their spans: a span (and RPC metadata) over the parent context, without copying it.
import { createContextKey, type Context, type Span } from '@opentelemetry/api';
import type { RPCMetadata } from '@opentelemetry/core';

/** The keys trace.setSpan and setRPCMetadata use: createContextKey is Symbol.for, so these are the same symbols. */
export const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');
export const RPC_METADATA_KEY = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA');

/** Overlays deeper than this are copied into the API's own contexts: lookups stay short and no chain grows without end. */
const MAX_DEPTH = 8;

/**
 * The API's contexts copy their parent's entries into a new Map, with three closures, on every setValue (measured:
 * about 110 ns and over 400 bytes each; a server span's context took two). An overlay holds one or two entries and
 * its parent, and looks the rest up there. It is a full Context: setValue and deleteValue give further overlays
 * (a deleted key reads as undefined, as in the API's), and past MAX_DEPTH the chain becomes API contexts again.
 */
class OverlayContext implements Context {
  constructor(
    private readonly parent: Context,
    readonly depth: number,
    private readonly key1: symbol,
    private readonly value1: unknown,
    private readonly key2?: symbol,
    private readonly value2?: unknown,
  ) {}

  getValue(key: symbol): unknown {
    if (key === this.key1) return this.value1;
    if (key === this.key2 && this.key2 !== undefined) return this.value2;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    if (this.depth < MAX_DEPTH) return new OverlayContext(this, this.depth + 1, key, value);
    return this.materialize().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    if (this.depth < MAX_DEPTH) return new OverlayContext(this, this.depth + 1, key, undefined);
    return this.materialize().deleteValue(key);
  }

  /** The same entries as API contexts: the first ancestor that is not an overlay, with each overlay's entries set in order. */
  private materialize(): Context {
    const base = this.parent instanceof OverlayContext ? this.parent.materialize() : this.parent;
    const withFirst = this.value1 === undefined ? base.deleteValue(this.key1) : base.setValue(this.key1, this.value1);
    if (this.key2 === undefined) return withFirst;
    return this.value2 === undefined ? withFirst.deleteValue(this.key2) : withFirst.setValue(this.key2, this.value2);
  }
}

/** `trace.setSpan(parent, span)`, without the copy. */
export function contextWithSpan(parent: Context, span: Span): Context {
  return new OverlayContext(parent, depthOf(parent), SPAN_KEY, span);
}

/** `setRPCMetadata(trace.setSpan(parent, span), metadata)`, without the two copies. */
export function contextWithServerSpan(parent: Context, span: Span, metadata: RPCMetadata): Context {
  return new OverlayContext(parent, depthOf(parent), SPAN_KEY, span, RPC_METADATA_KEY, metadata);
}

function depthOf(parent: Context): number {
  return parent instanceof OverlayContext ? parent.depth + 1 : 0;
}
