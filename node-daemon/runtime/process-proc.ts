/**
 * What the process runtime reads from Linux /proc about a host process: its start time (to know
 * that a recorded pid is still the same process, not a reused number), CPU time and memory.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** USER_HZ: the unit of /proc times; 100 on every mainstream Linux architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** Start time in clock ticks since boot: with the pid, identifies the process. */
  startTicks: number;
  /** utime + stime, in nanoseconds. */
  cpuNanos: number;
  /** Exited, not yet reaped by its parent (state Z): it runs nothing. */
  zombie: boolean;
}

/** Parse the text of /proc/<pid>/stat. */
export function parseProcStat(stat: string): ProcSample {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const startTicks = Number(fields[19]);
  return { startTicks, cpuNanos: ((utime + stime) * 1e9) / CLOCK_TICKS_PER_SECOND, zombie: fields[0] === 'Z' };
}

/** Read /proc/<pid>/stat; undefined if the process is gone. */
export async function readProcStat(pid: number): Promise<ProcSample | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** As readProcStat, synchronously: for the moment right after spawn, before anything else runs. */
export function readProcStatSync(pid: number): ProcSample | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes from /proc/<pid>/status; 0 if the process is gone. */
export async function readRssBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
