import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';

/** What a supervised server sends its supervisor just before it exits 0 to be restarted. */
export const RESTART_MESSAGE = 'switchboard:restart';

export interface SuperviseOptions {
  /** The program and arguments that run one server process (`node cli.ts serve`). */
  command: string;
  args: string[];
  /** Ends the supervisor with the child's code; `process.exit` in the CLI. */
  exit: (code: number) => void;
  /** One line for the operator (stderr in the CLI). */
  say: (line: string) => void;
  /** Where SIGTERM/SIGINT arrive; `process` in the CLI. */
  signals?: NodeJS.EventEmitter;
}

function codeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return signal ? 128 + (constants.signals[signal] ?? 0) : 1;
}

/**
 * `switchboard start`: runs the server as a child process and starts it again when it asks to be
 * restarted (`POST /admin/restart`: it says so over IPC, drains, and exits 0). Any other exit ends the
 * supervisor with the child's code. SIGTERM and SIGINT are forwarded once each; the child drains.
 *
 * The child runs in its own process group, so a terminal's Ctrl-C reaches it once (through here), not
 * twice; it stops by itself if the supervisor dies (the IPC channel closes).
 */
export function supervise(opts: SuperviseOptions): { child(): ChildProcess } {
  const signals = opts.signals ?? process;
  let child: ChildProcess;
  let stopping = false;
  let restartAsked = false;

  function run(): void {
    restartAsked = false;
    child = spawn(opts.command, opts.args, {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      detached: true,
    });
    child.on('message', (message) => {
      if (message === RESTART_MESSAGE) restartAsked = true;
    });
    child.on('error', (err) => {
      opts.say(`switchboard: could not start the server: ${err.message}`);
      opts.exit(1);
    });
    child.on('exit', (code, signal) => {
      if (code === 0 && restartAsked && !stopping) {
        opts.say('switchboard: restarting the server');
        run();
        return;
      }
      opts.exit(codeOf(code, signal));
    });
  }

  const forward = (signal: NodeJS.Signals) => {
    stopping = true;
    child.kill(signal);
  };
  signals.on('SIGTERM', forward);
  signals.on('SIGINT', forward);
  run();
  return { child: () => child };
}

/**
 * In the supervised child: how a restart ends the process. It tells the supervisor first, so an exit 0
 * for any other reason (a signal sent straight to the child) is not mistaken for a restart.
 */
export function supervisedExit(code: number): void {
  if (code === 0 && process.send) {
    process.send(RESTART_MESSAGE, () => process.exit(code));
    return;
  }
  process.exit(code);
}
