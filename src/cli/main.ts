/**
 * The `kactus` command line: wires one commander command per verb (commands/*.ts) under the
 * global flags, and turns errors into kubectl's wording with exit code 1.
 */
import { Command } from 'commander';
import { applyCommand } from './commands/apply.ts';
import { certsCommand } from './commands/certs.ts';
import { deleteCommand } from './commands/delete.ts';
import { describeCommand } from './commands/describe.ts';
import { eventsCommand } from './commands/events.ts';
import { getCommand } from './commands/get.ts';
import { logsCommand } from './commands/logs.ts';
import { masterCommand } from './commands/master.ts';
import { nodeCommand } from './commands/node.ts';
import { rolloutCommand } from './commands/rollout.ts';
import { secretsCommand } from './commands/secrets.ts';
import { tokenCommand } from './commands/token.ts';
import { upCommand } from './commands/up.ts';
import { versionCommand } from './commands/version.ts';
import { formatError } from './errors.ts';

/** Builds the root command (exported so tests can parse arguments without a process). */
export function buildProgram(): Command {
  const program = new Command('kactus')
    .description('kactus: a Kubernetes-style orchestrator built as an actor system')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace to act in')
    .showHelpAfterError();
  for (const cmd of [
    upCommand(),
    masterCommand(),
    nodeCommand(),
    tokenCommand(),
    certsCommand(),
    applyCommand(),
    getCommand(),
    describeCommand(),
    logsCommand(),
    eventsCommand(),
    rolloutCommand(),
    secretsCommand(),
    deleteCommand(),
    versionCommand(),
  ]) {
    program.addCommand(cmd);
  }
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.stderr.write(formatError(err) + '\n');
  process.exitCode = 1;
}
