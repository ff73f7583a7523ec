/**
 * What the harness did to the cluster and when: one record per fault, with the wall-clock times
 * (Date.now(), ms) of its injection and its heal, so a history checker can line operations up
 * against the faults in force when they ran.
 */

export type FaultKind = 'kill' | 'pause' | 'isolate' | 'split' | 'loss' | 'latency';

export interface FaultRecord {
  /** 1, 2, … in injection order. */
  id: number;
  kind: FaultKind;
  /** What it hit: `master@m0`, `m0`, `m0 n1 | m1 m2 n0`, `n0 20%`. */
  target: string;
  /** The hosts it impairs (the nemesis' quorum rule counts these). */
  hosts: string[];
  /** Date.now() when the fault was in place. */
  injectedAt: number;
  /** Date.now() when its undo finished (a restarted program ready, a block lifted). */
  healedAt?: number;
  /** Set when the fault was not injected, with the reason (e.g. no netem in the kernel). */
  skipped?: string;
  /** Anything worth knowing: a restart that was not ready in time, an undo that failed. */
  notes: string[];
}

export class FaultLog {
  readonly records: FaultRecord[] = [];
  /** Date.now() when the log began (times print relative to it). */
  readonly origin = Date.now();

  constructor(private readonly print?: (line: string) => void) {}

  /** Records a new fault (injectedAt = now) and prints it. */
  add(kind: FaultKind, target: string, hosts: string[], skipped?: string): FaultRecord {
    const record: FaultRecord = { id: this.records.length + 1, kind, target, hosts, injectedAt: Date.now(), notes: [], ...(skipped ? { skipped } : {}) };
    this.records.push(record);
    this.print?.(skipped ? `${this.stamp(record.injectedAt)} fault #${record.id} ${kind} ${target}: skipped (${skipped})` : `${this.stamp(record.injectedAt)} fault #${record.id} ${kind} ${target}`);
    return record;
  }

  healed(record: FaultRecord): void {
    record.healedAt = Date.now();
    this.print?.(`${this.stamp(record.healedAt)} healed #${record.id} ${record.kind} ${record.target} after ${((record.healedAt - record.injectedAt) / 1000).toFixed(1)} s${record.notes.length ? ` (${record.notes.join('; ')})` : ''}`);
  }

  note(record: FaultRecord, text: string): void {
    record.notes.push(text);
    this.print?.(`${this.stamp(Date.now())} fault #${record.id} ${record.kind} ${record.target}: ${text}`);
  }

  /** Prints a line that is not a fault (progress, the nemesis' seed). */
  info(line: string): void {
    this.print?.(`${this.stamp(Date.now())} ${line}`);
  }

  /** Faults injected (not skipped). */
  get injected(): FaultRecord[] {
    return this.records.filter((r) => r.skipped === undefined);
  }

  /** Faults in force at time `t` (Date.now() ms). */
  activeAt(t: number): FaultRecord[] {
    return this.injected.filter((r) => r.injectedAt <= t && (r.healedAt === undefined || r.healedAt > t));
  }

  /** Counts by kind, e.g. `kill 12, pause 9, …` and the skipped ones. */
  summary(): string {
    const counts = new Map<string, number>();
    for (const r of this.injected) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
    const skipped = this.records.length - this.injected.length;
    return `${this.injected.length} faults (${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')})${skipped ? `, ${skipped} skipped` : ''}`;
  }

  private stamp(t: number): string {
    return `[+${((t - this.origin) / 1000).toFixed(1)} s]`;
  }
}
