/**
 * What `rollout status` says about one object, as kubectl's status viewers decide it
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go): the same messages, the same
 * "done" and the same errors, plus the counts the progress bar draws. Pure: object in, verdict out.
 */
import type { KubeObject } from './output.ts';

/** The replica counts a bar shows: `updated` and `ready` of `desired`. */
export interface RolloutProgress {
  desired: number;
  updated: number;
  ready: number;
}

export interface RolloutVerdict {
  /** kubectl's line, without its newline. */
  message: string;
  done: boolean;
  /** The rollout failed (progress deadline) or cannot be followed (strategy): the command fails with it. */
  error?: string;
  progress: RolloutProgress;
}

/** The kinds `rollout status` follows (kubectl's list). */
export const ROLLOUT_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet'] as const;

type Fields = Record<string, unknown>;
const num = (o: unknown, field: string): number => {
  const v = (o as Fields | undefined)?.[field];
  return typeof v === 'number' ? v : 0;
};
const spec = (o: KubeObject): Fields => (o.spec ?? {}) as Fields;
const status = (o: KubeObject): Fields => (o.status ?? {}) as Fields;
/** spec.replicas, defaulted to 1 as the API server does. */
const specReplicas = (o: KubeObject): number => (typeof spec(o).replicas === 'number' ? (spec(o).replicas as number) : 1);
const generation = (o: KubeObject): number => (typeof o.metadata?.generation === 'number' ? o.metadata.generation : 0);

export function rolloutVerdict(kind: string, o: KubeObject): RolloutVerdict {
  if (kind === 'Deployment') return deploymentVerdict(o);
  if (kind === 'DaemonSet') return daemonSetVerdict(o);
  if (kind === 'StatefulSet') return statefulSetVerdict(o);
  throw new Error(`no status viewer for ${kind}`);
}

function deploymentVerdict(d: KubeObject): RolloutVerdict {
  const name = d.metadata?.name ?? '';
  const s = status(d);
  const desired = specReplicas(d);
  const updated = num(s, 'updatedReplicas');
  const replicas = num(s, 'replicas');
  const available = num(s, 'availableReplicas');
  const progress = { desired, updated, ready: num(s, 'readyReplicas') };
  if (generation(d) > num(s, 'observedGeneration')) return { message: 'Waiting for deployment spec update to be observed...', done: false, progress };
  const progressing = ((s.conditions ?? []) as Fields[]).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { message: '', done: false, error: `deployment "${name}" exceeded its progress deadline`, progress };
  }
  if (updated < desired) return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`, done: false, progress };
  if (replicas > updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`, done: false, progress };
  if (available < updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false, progress };
  return { message: `deployment "${name}" successfully rolled out`, done: true, progress };
}

function daemonSetVerdict(ds: KubeObject): RolloutVerdict {
  const name = ds.metadata?.name ?? '';
  const s = status(ds);
  const desired = num(s, 'desiredNumberScheduled');
  const updated = num(s, 'updatedNumberScheduled');
  const available = num(s, 'numberAvailable');
  const progress = { desired, updated, ready: num(s, 'numberReady') };
  const strategy = (spec(ds).updateStrategy as Fields | undefined)?.type ?? 'RollingUpdate';
  if (strategy !== 'RollingUpdate') return { message: '', done: true, error: 'rollout status is only available for RollingUpdate strategy type', progress };
  if (generation(ds) > num(s, 'observedGeneration')) return { message: 'Waiting for daemon set spec update to be observed...', done: false, progress };
  if (updated < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`, done: false, progress };
  if (available < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`, done: false, progress };
  return { message: `daemon set "${name}" successfully rolled out`, done: true, progress };
}

function statefulSetVerdict(sts: KubeObject): RolloutVerdict {
  const s = status(sts);
  const desired = specReplicas(sts);
  const ready = num(s, 'readyReplicas');
  const updated = num(s, 'updatedReplicas');
  const progress = { desired, updated, ready };
  const strategy = (spec(sts).updateStrategy as Fields | undefined) ?? {};
  if ((strategy.type ?? 'RollingUpdate') !== 'RollingUpdate') return { message: '', done: true, error: 'rollout status is only available for RollingUpdate strategy type', progress };
  const observed = num(s, 'observedGeneration');
  if (observed === 0 || generation(sts) > observed) return { message: 'Waiting for statefulset spec update to be observed...', done: false, progress };
  if (ready < desired) return { message: `Waiting for ${desired - ready} pods to be ready...`, done: false, progress };
  const partition = (strategy.rollingUpdate as Fields | undefined)?.partition;
  if (typeof partition === 'number') {
    if (updated < desired - partition) return { message: `Waiting for partitioned roll out to finish: ${updated} out of ${desired - partition} new pods have been updated...`, done: false, progress };
    return { message: `partitioned roll out complete: ${updated} new pods have been updated...`, done: true, progress };
  }
  const updateRevision = String(s.updateRevision ?? '');
  const currentRevision = String(s.currentRevision ?? '');
  if (updateRevision !== currentRevision) return { message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${updateRevision}...`, done: false, progress };
  return { message: `statefulset rolling update complete ${num(s, 'currentReplicas')} pods at revision ${currentRevision}...`, done: true, progress };
}

/**
 * A bar of `width` cells over `desired`: `█` ready and updated, `▒` updated but not ready yet,
 * `░` still to update. Counts above `desired` (a surge) fill the bar, never overflow it.
 */
export function progressBar(p: RolloutProgress, width = 20): string {
  if (p.desired <= 0) return '░'.repeat(width);
  const cells = (n: number): number => Math.round((Math.min(Math.max(n, 0), p.desired) / p.desired) * width);
  const updated = cells(p.updated);
  const done = Math.min(cells(Math.min(p.ready, p.updated)), updated);
  return '█'.repeat(done) + '▒'.repeat(updated - done) + '░'.repeat(width - updated);
}

/** One progress line: the bar, the counts, and kubectl's message. */
export function progressLine(v: RolloutVerdict, width = 20): string {
  const { desired, updated, ready } = v.progress;
  return `[${progressBar(v.progress, width)}] ${updated}/${desired} updated, ${ready}/${desired} ready  ${v.message}`;
}

/** Where progress goes: stdout, or a test's stand-in. */
export interface ProgressOutput {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/**
 * Prints progress lines: on a terminal one line redrawn in place (cut to the terminal's width, so
 * it never wraps), elsewhere a new line each time it changes (logs, CI). `finish` clears the bar
 * and prints the last word.
 */
export class ProgressPrinter {
  private last = '';
  private drawn = false;

  constructor(private readonly out: ProgressOutput) {}

  update(v: RolloutVerdict): void {
    const line = progressLine(v);
    if (line === this.last) return;
    this.last = line;
    if (!this.out.isTTY) {
      this.out.write(`${line}\n`);
      return;
    }
    const width = Math.max(20, (this.out.columns ?? 80) - 1);
    this.out.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    this.drawn = true;
  }

  /** Clears the bar (terminal) and prints `message` on a line of its own when given. */
  finish(message?: string): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
    if (message) this.out.write(`${message}\n`);
  }
}
