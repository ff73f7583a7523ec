/**
 * How the node's network code runs kernel tools (ip, bridge, nft, iptables): one narrow function,
 * so tests run the same code against a network namespace they made (`inNetns`) instead of the
 * host's, and a failure carries the tool's own stderr.
 */
import { execFile } from 'node:child_process';

/** Run `cmd args…` with `input` on stdin; resolves with stdout, rejects with stderr in the message. */
export type CommandRunner = (cmd: string, args: readonly string[], input?: string) => Promise<string>;

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | string | undefined,
  ) {
    super(`${command} failed${code === undefined ? '' : ` (${code})`}: ${stderr.trim() || 'no output'}`);
    this.name = 'CommandError';
  }
}

/** Runs on this process' own network namespace. */
export const hostCommands: CommandRunner = (cmd, args, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(cmd, [...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new CommandError(`${cmd} ${args.join(' ')}`, stderr, (err as NodeJS.ErrnoException).code ?? undefined));
      else resolve(stdout);
    });
    // A tool that exits before reading its input (a bad flag) closes the pipe first.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });

/** Runs inside network namespace `name` (`ip netns exec`), for tests. */
export function inNetns(name: string): CommandRunner {
  return (cmd, args, input) => hostCommands('ip', ['netns', 'exec', name, cmd, ...args], input);
}
