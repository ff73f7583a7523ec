/**
 * Test support (not used by the store itself): drives `test/fault/crash-writer.ts` through
 * kill -9 cycles and checks after each that every acknowledged write survived and that
 * revisions never go backwards or get reused. Shared by the fast default-suite test
 * (crash.test.ts) and the long fault run (test/fault/store-crash.test.ts).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openEmbeddedStore } from './index.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const writerPath = fileURLToPath(new URL('../../../test/fault/crash-writer.ts', import.meta.url));

export interface CrashRunOptions {
  dir: string;
  cycles: number;
  /** Writer concurrency. */
  concurrency: number;
  /** Kill after a random number of acknowledgements in [min, max] (per cycle). */
  killAfterAcks: [number, number];
  /** The writer's snapshot interval in records (small values make kills land in snapshots). */
  snapshotEveryRecords: number;
  /** Deterministic randomness for reproducible runs. */
  random?: () => number;
}

export interface CrashRunReport {
  cycles: number;
  acknowledged: number;
  keys: number;
  finalRevision: number;
}

interface KeyModel {
  /** Last acknowledged value (must be present). */
  acked?: string;
  /** A value written after the last ack whose outcome the kill left unknown. */
  inFlight?: string;
}

/** Run the cycles; throws with a precise message on the first violation. */
export async function runCrashCycles(opts: CrashRunOptions): Promise<CrashRunReport> {
  const random = opts.random ?? Math.random;
  const model = new Map<string, KeyModel>();
  let acknowledged = 0;
  let lastRevision = 0;
  for (let cycle = 0; cycle < opts.cycles; cycle++) {
    const [min, max] = opts.killAfterAcks;
    const target = min + Math.floor(random() * (max - min + 1));
    const run = await runWriter(opts, `c${cycle}`, target, model);
    acknowledged += run.acks;
    // Nothing writes between the check and the next writer, so it must reopen exactly there.
    if (run.start !== lastRevision) throw new Error(`cycle ${cycle}: store reopened at revision ${run.start}, expected ${lastRevision}`);
    if (run.minAckedRevision !== undefined && run.minAckedRevision <= lastRevision) {
      throw new Error(`cycle ${cycle}: revision ${run.minAckedRevision} reused (previous cycle reached ${lastRevision})`);
    }
    lastRevision = await verify(opts.dir, model, Math.max(lastRevision, run.maxAckedRevision ?? 0), cycle);
  }
  return { cycles: opts.cycles, acknowledged, keys: model.size, finalRevision: lastRevision };
}

interface WriterRun {
  start: number;
  acks: number;
  minAckedRevision?: number;
  maxAckedRevision?: number;
}

function runWriter(opts: CrashRunOptions, tag: string, killAfter: number, model: Map<string, KeyModel>): Promise<WriterRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', writerPath, opts.dir, String(opts.concurrency), String(opts.snapshotEveryRecords), tag], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: WriterRun = { start: -1, acks: 0 };
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const [kind, key, value, rev] = line.split(' ');
    if (kind === 'START') run.start = Number(key);
    else if (kind === 'W') model.set(key!, { ...model.get(key!), inFlight: value });
    else if (kind === 'A') {
      model.set(key!, { acked: value });
      const r = Number(rev);
      run.minAckedRevision = Math.min(run.minAckedRevision ?? r, r);
      run.maxAckedRevision = Math.max(run.maxAckedRevision ?? r, r);
      if (++run.acks === killAfter) child.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    // 'close' fires after the process exited and its stdout is fully read.
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`crash writer exited on its own (code ${code}): ${stderr}`));
      else if (run.start < 0) reject(new Error(`crash writer was killed before it opened the store: ${stderr}`));
      else resolve(run);
    });
  });
}

/** Reopen the store and check the model; returns the store's revision. */
async function verify(dir: string, model: Map<string, KeyModel>, minRevision: number, cycle: number): Promise<number> {
  const store = await openEmbeddedStore(dir);
  try {
    const revision = await store.currentRevision();
    if (revision < minRevision) throw new Error(`cycle ${cycle}: revision ${revision} after restart, below acknowledged ${minRevision}`);
    for (const [key, m] of model) {
      const value = (await store.get(key))?.value;
      const allowed = [m.acked, m.inFlight];
      // Absent is fine only when no write to the key was ever acknowledged.
      if (value === undefined ? m.acked !== undefined : !allowed.includes(value)) {
        throw new Error(`cycle ${cycle}: ${key} is ${value ?? 'missing'}, expected ${m.acked ?? '(absent)'}${m.inFlight ? ` or ${m.inFlight}` : ''}`);
      }
      // Whatever survived is now the known state.
      model.set(key, value === undefined ? {} : { acked: value });
    }
    return revision;
  } finally {
    await store.close();
  }
}
