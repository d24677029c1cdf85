// The messages between the agent and its export worker (no code: either side may import it cheaply).
export interface ExportRequest {
  id: number;
  body: Uint8Array;
}
export interface ExportReply {
  id: number;
  ok: boolean;
  error?: string;
}
/** Posted by the worker once its transport is loaded: exports posted from then on are sent at once. */
export const READY = 'ready';
