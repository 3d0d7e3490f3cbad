import type { ChildProcess } from 'node:child_process';

/** Every child still alive that this test process started. */
const liveChildren = new Set<ChildProcess>();
let installed = false;

/**
 * Kills `child` with SIGKILL if this test process ends (normally, or by SIGINT/SIGTERM) while the
 * child still runs, so a test that fails before its `after` leaves no server behind.
 */
export function killOnExit(child: ChildProcess): void {
  install();
  liveChildren.add(child);
  const forget = (): void => {
    liveChildren.delete(child);
  };
  child.once('exit', forget);
  child.once('error', forget);
}

function install(): void {
  if (installed) return;
  installed = true;
  const killAll = (): void => {
    for (const child of liveChildren) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      // Re-raise so the process still ends the way the signal asked.
      process.kill(process.pid, signal);
    });
  }
}
