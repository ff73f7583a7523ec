/**
 * How the process runtime starts host processes: a container's main process and exec'd commands
 * alike run in their own process group (so signals reach what they fork), with the container's
 * environment and working directory.
 *
 * exec has no pty to offer: with `tty` the command's stdout and stderr are merged into the one
 * output stream (as a terminal would show them), its stdin stays a pipe (so ending it is EOF, as
 * without a tty) and resize is a no-op. A command that cannot be spawned is not an error of
 * exec: it "exits" 127 (not found) or 126 (not runnable) with the reason on stderr (on stdout
 * with a tty), as a shell reports it and as Docker's exec does.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import { execStdin } from './exec-stdin.ts';
import type { ExecOptions, ExecProcess } from '../../src/runtime/types.ts';
import { errorMessage } from '../../src/api/error-message.ts';

/** Where and how a host process runs. */
export interface HostCommand {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Spawn in a new process group; resolves once it runs, rejects with the spawn error (ENOENT, EACCES, ...). */
export async function spawnGroup(command: HostCommand, stdin: 'pipe' | 'ignore'): Promise<ChildProcess> {
  const { argv, env, cwd } = command;
  const stdio: StdioOptions = [stdin, 'pipe', 'pipe'];
  // detached: its own process group, so signals reach everything the command forks.
  const child = spawn(argv[0] ?? 'sh', argv.slice(1), { cwd, env, detached: true, stdio });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child;
}

/** The exit code of a process that ended with `code` or was killed by `signal`. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? osConstants.signals[signal] : 0);
}

export interface StartedExec {
  exec: ExecProcess;
  /** The command's process; absent when it could not be spawned. */
  child?: ChildProcess;
}

/** Run an exec'd command (argv already in host terms). */
export async function startExec(command: HostCommand, opts: ExecOptions): Promise<StartedExec> {
  let child: ChildProcess;
  try {
    child = await spawnGroup(command, opts.stdin ? 'pipe' : 'ignore');
  } catch (err) {
    return { exec: unspawnable(command.argv[0] ?? '', err, opts) };
  }

  const stdout = new PassThrough();
  const stderr = opts.tty ? undefined : new PassThrough();
  child.stdout?.pipe(stdout, { end: false });
  child.stderr?.pipe(stderr ?? stdout, { end: false });
  const endOutputs = () => {
    stdout.end();
    stderr?.end();
  };

  let settled = false;
  let resolveExit!: (code: number) => void;
  let rejectExit!: (err: Error) => void;
  const exitCode = new Promise<number>((resolve, reject) => {
    resolveExit = resolve;
    rejectExit = reject;
  });
  // Nobody may ask (a caller that went away): a failure must not be an unhandled rejection.
  exitCode.catch(() => {});
  // 'close' comes after the process exited and its stdout and stderr ended: all output is piped.
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
    endOutputs();
    settled = true;
    resolveExit(exitCodeOf(code, signal));
  });

  const exec: ExecProcess = {
    stdout,
    resize: async () => {},
    exitCode,
    close() {
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
      endOutputs();
      if (!settled) rejectExit(new Error(`exec of ${command.argv[0] ?? ''} was closed before its output ended`));
    },
  };
  if (stderr) exec.stderr = stderr;
  if (opts.stdin && child.stdin) {
    const pipe = child.stdin;
    exec.stdin = execStdin(pipe, () => pipe.end());
  }
  return { exec, child };
}

/** What exec gives for a command that cannot be spawned: its reason as output, and 127 or 126. */
function unspawnable(name: string, err: unknown, opts: ExecOptions): ExecProcess {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  const reason = code === 'ENOENT' ? 'executable file not found in $PATH' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
  const message = `exec: ${JSON.stringify(name)}: ${reason}\n`;
  const stdout = new PassThrough();
  const stderr = opts.tty ? undefined : new PassThrough();
  (stderr ?? stdout).end(message);
  stdout.end();
  const exec: ExecProcess = {
    stdout,
    resize: async () => {},
    exitCode: Promise.resolve(code === 'ENOENT' ? 127 : 126),
    close() {},
  };
  if (stderr) exec.stderr = stderr;
  if (opts.stdin) {
    exec.stdin = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
  }
  return exec;
}
