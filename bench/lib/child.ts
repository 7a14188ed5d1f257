import type { ChildProcess } from 'node:child_process';

/** The next IPC message of a type from a bench's client process; an `error` message rejects. */
export function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: unknown) => {
      const m = message as { type: string; message?: string };
      if (m.type === 'error') {
        stop();
        reject(new Error(`bench clients: ${m.message}`));
        return;
      }
      if (m.type !== type) return;
      stop();
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      stop();
      reject(new Error(`bench clients exited (${code}) before "${type}"`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
