// What Node's permission model (node --permission) lets the agent start: a worker thread, a child process.
import { warn } from '../runtime/logging';

type Scope = 'worker' | 'child' | 'net';

function allowed(scope: Scope): boolean {
  const permission = (process as { permission?: { has(scope: string): boolean } }).permission;
  if (!permission) return true;
  try {
    return permission.has(scope);
  } catch {
    return false;
  }
}

/**
 * Whether the agent may open network connections. Node 25+ restricts the network under --permission unless
 * --allow-net is given; earlier versions have no such scope (and answer false for any scope they do not know).
 */
export function mayUseNetwork(): boolean {
  if (!(process as { permission?: unknown }).permission) return true;
  if (!process.allowedNodeEnvironmentFlags.has('--allow-net')) return true;
  return allowed('net');
}

/** Whether the export worker thread may be started (--allow-worker under --permission). */
export const mayStartWorker = (): boolean => allowed('worker');
/** Whether the exit sender process may be started (--allow-child-process under --permission). */
export const mayStartChildProcess = (): boolean => allowed('child');

/** Why exports cannot leave the process, when Node's permission model denies the network. */
export const NETWORK_DENIED = "Node's permission model denies network access (--allow-net)";

/** One warning, decided up front, naming what the permission model denies and what the agent does instead. */
export function warnAboutPermissions(destination: string): void {
  if (!mayUseNetwork()) {
    warn(`${NETWORK_DENIED}: spans cannot be sent to ${destination}; they are counted as lost (the program is not affected)`);
    return;
  }
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
