import type { ChildProcess } from 'node:child_process';

/** The next IPC message of a type from a bench's client process; an `error` message rejects. */
export function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const m = message as { type: string; message?: string };
      if (m.type === 'error') {
        child.off('message', onMessage);
        reject(new Error(`bench clients: ${m.message}`));
      }
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`bench clients exited (${code}) before "${type}"`)));
  });
}
