/**
 * Is a process recorded in a lock still the same process? A pid alone is not enough: pids are reused, and a
 * lock naming a pid that now belongs to an unrelated live process would never clear. So a lock records the
 * process start time too (Linux: field 22 of /proc/<pid>/stat, clock ticks since boot), and a pid whose
 * start time differs is another process. Where /proc is missing (macOS, Windows) only the pid is checked.
 */
import { readFileSync } from 'node:fs';
import { pidExists } from '../node/pid.js';

/** The start time of a process as an opaque string, or undefined where it cannot be read. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22 (starttime); rest[0] is field 3
  } catch {
    return undefined;
  }
}

/** A process as a lock records it. */
export interface ProcRef {
  pid: number;
  /** processStart(pid) when recorded; absent where the platform does not tell. */
  start?: string;
}

export function procRef(pid: number): ProcRef {
  const start = processStart(pid);
  return start === undefined ? { pid } : { pid, start };
}

/** True while the recorded process lives: same pid and, where both are known, the same start time. */
export function isAlive(p: ProcRef): boolean {
  if (!pidExists(p.pid)) return false;
  if (p.start === undefined) return true;
  const now = processStart(p.pid);
  if (now === undefined) return pidExists(p.pid); // exited between the two looks, or no /proc
  return now === p.start;
}

/** A zombie (exited, not yet reaped) still answers kill(0): for a process group, look for a live member. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return true;
}
