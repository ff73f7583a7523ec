/**
 * Runs the real `kactus` command (`bin/kactus.js`, so main.ts' wiring is what is tested) as a
 * child process against a kubeconfig, with stdout and stderr kept apart and awaited by predicate
 * with deadlines. Only the children started here are ever signalled, by their own handle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const kactusBin = fileURLToPath(new URL('../../bin/kactus.js', import.meta.url));

export interface KactusRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class KactusProcess {
  stdout = '';
  stderr = '';
  /** Complete stdout lines so far (kept as they arrive: predicates over megabytes stay cheap). */
  readonly lines: string[] = [];
  private partial = '';
  exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    const wake = (): void => {
      for (const w of [...this.waiters]) w();
    };
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      this.stdout += c;
      const parts = (this.partial + c).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) this.lines.push(line);
      wake();
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      this.stderr += c;
      wake();
    });
    this.exited = new Promise((resolve) =>
      child.on('close', (code) => {
        this.exitCode = code;
        resolve(code);
        wake();
      }),
    );
  }

  /** Waits until `predicate` holds (or fails at the deadline, or when the process exits first). */
  until(what: string, predicate: (p: this) => boolean, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate(this)) return finish(resolve);
        if (this.exitCode !== undefined) finish(() => reject(new Error(`kactus exited (${this.exitCode}) before ${what}\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends `signal` to this child and waits for it to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill(signal);
    return this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exitCode === undefined) this.child.kill(signal);
  }
}

/** Starts `kactus --kubeconfig KUBECONFIG ARGS...`; `env` adds to the environment (without the caller's KUBECONFIG). */
export function spawnKactus(kubeconfig: string, args: string[], env: NodeJS.ProcessEnv = {}): KactusProcess {
  const childEnv = { ...process.env, ...env };
  delete childEnv.KUBECONFIG;
  return new KactusProcess(spawn(process.execPath, [kactusBin, '--kubeconfig', kubeconfig, ...args], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Runs kactus to completion (killed after `timeoutMs`). */
export async function runKactus(kubeconfig: string, args: string[], timeoutMs = 30_000): Promise<KactusRun> {
  const p = spawnKactus(kubeconfig, args);
  const timer = setTimeout(() => p.signal('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout, stderr: p.stderr };
}
