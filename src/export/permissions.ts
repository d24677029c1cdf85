// What Node's permission model (node --permission) lets the agent start: a worker thread, a child process.
import { warn } from '../logging';

type Scope = 'worker' | 'child';

function allowed(scope: Scope): boolean {
  const permission = (process as { permission?: { has(scope: string): boolean } }).permission;
  if (!permission) return true;
  try {
    return permission.has(scope);
  } catch {
    return false;
  }
}

/** Whether the export worker thread may be started (--allow-worker under --permission). */
export const mayStartWorker = (): boolean => allowed('worker');
/** Whether the exit sender process may be started (--allow-child-process under --permission). */
export const mayStartChildProcess = (): boolean => allowed('child');

/** One warning, decided up front, naming what the permission model denies and what the agent does instead. */
export function warnAboutPermissions(destination: string): void {
  const worker = mayStartWorker();
  const child = mayStartChildProcess();
  if (worker && child) return;
  const denied = [!worker && 'worker threads (--allow-worker)', !child && 'child processes (--allow-child-process)'].filter(Boolean).join(' and ');
  const consequences = [
    !worker && `spans are sent to ${destination} from the main thread`,
    !child && 'spans still unsent when the program calls process.exit() or crashes are lost, and counted',
  ].filter(Boolean);
  warn(`Node's permission model denies ${denied}: ${consequences.join('; ')} (the program is not affected)`);
}
