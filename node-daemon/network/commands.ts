/**
 * Running the kernel tools the node's network drives (ip, bridge, nft, iptables, sysctl),
 * optionally inside a network namespace: several "hosts" on one machine are network namespaces
 * (DESIGN §6), and so are the kernel tests' nodes. One narrow function, so tests inject fakes.
 */
import { spawn } from 'node:child_process';

/** A command exited non-zero; carries its stderr. */
export class CommandError extends Error {
  readonly code = 'CommandFailed';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (${exitCode === null ? 'killed' : `exit ${exitCode}`}): ${stderr.trim() || '(no stderr)'}`);
    this.name = 'CommandError';
  }
}

/** What one command did. */
export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv (stdin optional) and reports; never throws for a non-zero exit. Tests inject fakes. */
export type CommandRunner = (argv: readonly string[], stdin?: string) => Promise<CommandResult>;

/** Spawn argv directly (no shell), feeding stdin and collecting both outputs. */
export const spawnCommand: CommandRunner = (argv, stdin) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject); // binary missing: a real fault, not an exit code
    child.on('close', (code) => resolve({ exitCode: code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    // A command that exits before reading all its stdin closes the pipe: its exit code tells.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });

/** A runner whose commands run inside network namespace `netns` (`ip netns exec`). */
export function inNetns(netns: string, run: CommandRunner = spawnCommand): CommandRunner {
  return (argv, stdin) => run(['ip', 'netns', 'exec', netns, ...argv], stdin);
}

/** Run and require exit 0, else CommandError with the command's stderr. */
export async function runChecked(run: CommandRunner, argv: readonly string[], stdin?: string): Promise<string> {
  const result = await run(argv, stdin);
  if (result.exitCode !== 0) throw new CommandError(argv, result.exitCode, result.stderr);
  return result.stdout;
}
