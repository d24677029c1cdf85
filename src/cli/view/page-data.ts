// The data of the HTML view's page (plain JSON, embedded in the page): written by html.ts, read by browser/trace-view.ts.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface JsonObject {
  [key: string]: JsonValue;
}

/** What the page's script renders. Times are milliseconds from the trace's start. */
export interface PageData {
  title: string;
  resources: JsonObject[];
  traces: PageTrace[];
}

export interface PageTrace {
  traceId: string;
  /** The first top-level span: what the trace is (a CI job's command, a request...). */
  rootName: string;
  rootService: string;
  start: string;
  /** Start as milliseconds since the epoch, for sorting the index. */
  startEpochMs: number;
  duration: string;
  durationMs: number;
  services: string[];
  errors: number;
  spans: PageSpan[];
}

export interface PageSpan {
  id: string;
  parent?: string;
  name: string;
  kind: string;
  startMs: number;
  durMs: number;
  duration: string;
  depth: number;
  /** Indexes of the children in the trace's spans. */
  children: number[];
  status: { code: number; message?: string };
  key: [string, string][];
  attributes: JsonObject;
  events: { name: string; atMs: number; attributes: JsonObject }[];
  links: { traceId: string; spanId: string; attributes: JsonObject }[];
  /** Index in PageData.resources. */
  resource: number;
  scope: string;
  orphan: boolean;
}
