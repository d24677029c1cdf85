// Worker thread that sends serialized OTLP requests with the upstream transport (retries, TLS, compression).
// It runs off the main thread and is unref'd there, so a slow or absent collector never holds the program open.
import { parentPort, workerData } from 'node:worker_threads';
import type { OtlpExporterConfig } from '../config';
import { createOtlpSender } from './otlp-send';
import { READY, type ExportReply, type ExportRequest } from './worker-messages';

if (parentPort) {
  const port = parentPort;
  const sender = createOtlpSender(workerData as OtlpExporterConfig);
  port.on('message', ({ id, body }: ExportRequest) => {
    try {
      sender.export(body, (result) => {
        const reply: ExportReply = { id, ok: result.code === 0, error: result.error?.message };
        port.postMessage(reply);
      });
    } catch (err) {
      port.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ExportReply);
    }
  });
  port.postMessage(READY);
}
