/**
 * What the daemon and its fence watchdog share, all in `<data dir>/fence/`:
 *
 *   LOCK            the watchdog's advisory lock (one watchdog per data dir; the kernel drops it when the watchdog dies)
 *   deadline.json   the fence deadline, written by the daemon at every renewal (FenceRecord)
 *   watchdog.json   who holds LOCK: pid, start time and what it guards (WatchdogInfo), written by the watchdog
 *   watchdog.log    the watchdog's output (appended across runs)
 *
 * Why a file rather than a socket: the deadline must outlive both processes (a restarted daemon
 * and a replaced watchdog both start from the last one), a dead or frozen daemon simply stops
 * writing (nothing for the watchdog to notice but time), and neither side ever waits on the
 * other. Written to a temporary name and renamed over: a reader sees the old record or the new
 * one, never half of one.
 *
 * The deadline is an absolute time on CLOCK_MONOTONIC (`process.hrtime.bigint()`), which every
 * process on a Linux host shares (no time namespaces here), and which wall-clock steps do not move.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProcStatSync } from '../runtime/process-proc.ts';

/** Bumped when the files' meaning changes: a watchdog of another version is replaced. */
export const FENCE_WATCHDOG_VERSION = 1;

/** The runtimes whose pods are real (the hollow one runs nothing: no watchdog). */
export type FencedRuntime = 'docker' | 'process';

export function fenceDir(dataDir: string): string {
  return join(dataDir, 'fence');
}

/** A process, told apart from a later one that got the same pid. */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat). */
  startTicks: number;
}

export type FenceRecord =
  | {
      /** The daemon that writes the record (the watchdog leaves once it is gone and nothing is left to guard). */
      writer: ProcessIdentity;
      /** CLOCK_MONOTONIC ns (decimal) past which the node's pods must not run; null until the first renewal. */
      deadlineNs: string | null;
      /** The self-fence period of that renewal (for the log). */
      fenceAfterMs: number;
    }
  | {
      writer: ProcessIdentity;
      /** The daemon stopped and left no pod running: the watchdog has nothing to guard and exits. */
      retired: true;
    };

/** What the watchdog that holds LOCK guards. */
export interface WatchdogInfo extends ProcessIdentity {
  version: number;
  runtime: FencedRuntime;
  /** The runtime scope (Docker's `io.kactus.node` label) whose pods it stops. */
  scope: string;
  /** The engine socket (docker). */
  dockerSocket?: string;
}

/** This process's identity. */
export function selfIdentity(): ProcessIdentity {
  return { pid: process.pid, startTicks: readProcStatSync(process.pid)?.startTicks ?? 0 };
}

/** Whether the process still runs (a zombie counts as gone: it runs nothing). */
export function isAlive(who: ProcessIdentity): boolean {
  const stat = readProcStatSync(who.pid);
  return stat !== undefined && stat.startTicks === who.startTicks && !stat.zombie;
}

export function writeFenceRecord(dataDir: string, record: FenceRecord): void {
  writeJsonAtomically(join(fenceDir(dataDir), 'deadline.json'), record);
}

export function readFenceRecord(dataDir: string): FenceRecord | undefined {
  return readJson<FenceRecord>(join(fenceDir(dataDir), 'deadline.json'));
}

export function writeWatchdogInfo(dataDir: string, info: WatchdogInfo): void {
  writeJsonAtomically(join(fenceDir(dataDir), 'watchdog.json'), info);
}

export function readWatchdogInfo(dataDir: string): WatchdogInfo | undefined {
  return readJson<WatchdogInfo>(join(fenceDir(dataDir), 'watchdog.json'));
}

export function watchdogLogPath(dataDir: string): string {
  return join(fenceDir(dataDir), 'watchdog.log');
}

function writeJsonAtomically(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
