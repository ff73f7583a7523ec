/**
 * Measurement helpers shared by the benchmarks: run an operation N times at a given
 * concurrency and report throughput and latency percentiles.
 */

import { readFileSync } from 'node:fs';

export interface Measurement {
  /** Completed operations per second of wall time. */
  opsPerSec: number;
  /** Median latency of one operation, in milliseconds. */
  p50: number;
  /** 99th-percentile latency of one operation, in milliseconds. */
  p99: number;
}

/** The value at quantile `q` (0..1) of ascending `sorted`, nearest-rank. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

/**
 * Run `op(i)` for i = 0..n-1 with `concurrency` operations in flight (closed loop: each worker
 * starts its next operation when the previous one completes). The first error aborts the run.
 */
export async function measure(concurrency: number, n: number, op: (i: number) => Promise<unknown>): Promise<Measurement> {
  const latencies = new Array<number>(n);
  let next = 0;
  async function worker(): Promise<void> {
    for (let i = next++; i < n; i = next++) {
      const started = performance.now();
      await op(i);
      latencies[i] = performance.now() - started;
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { opsPerSec: (n / elapsedMs) * 1000, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** Linux reports process CPU time in clock ticks; USER_HZ is 100 on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc/PID/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Render rows as a Markdown table (so results paste straight into bench/README.md). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
