/**
 * `kactus up`: the one-machine cluster. Serves the API over the embedded store in the data dir
 * and writes the admin kubeconfig there; restarting from the same dir keeps all state.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DOCKER_SOCKET, dockerAnswers } from '../docker-ping.ts';
import { integer } from '../flags.ts';

interface UpOptions {
  dataDir: string;
  port: number;
  host: string;
  nodes: number;
  runtime?: 'docker' | 'process' | 'hollow';
}

export function upCommand(): Command {
  return new Command('up')
    .description('Run a one-machine cluster (embedded store + API server) from a data dir')
    .option('--data-dir <dir>', 'where state, PKI and the kubeconfig live', join(homedir(), '.kactus'))
    .option('--port <port>', 'HTTPS port of the API server (0 = pick a free one)', integer, 6443)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--nodes <n>', 'simulated nodes to add', integer, 0)
    .addOption(new Option('--runtime <runtime>', 'container runtime of the local node').choices(['docker', 'process', 'hollow']))
    .action(async (opts: UpOptions) => {
      // Loaded here, not at the top: client verbs must not pay for loading the API server.
      const { closeOnSignal, serve } = await import('../serve.ts');
      const log = (line: string): void => void process.stdout.write(line + '\n');
      const dataDir = resolve(opts.dataDir);
      const serving = await serve({ dataDir, storeUri: `embedded://${join(dataDir, 'store')}`, host: opts.host, port: opts.port }, log);
      log(await runtimeLine(opts.runtime));
      log(`kactus: no node daemon is started in this version${opts.nodes > 0 ? ` (--nodes ${opts.nodes} adds none yet)` : ''}; pods stay Pending`);
      log(`kactus: ready; run: export KUBECONFIG=${serving.kubeconfigPath}`);
      await closeOnSignal(serving, log);
    });
}

/** Which runtime a node daemon would use: the flag, else docker when its socket answers a ping, else process. */
async function runtimeLine(flag: UpOptions['runtime']): Promise<string> {
  if (flag) return `kactus: container runtime: ${flag} (from --runtime)`;
  if (await dockerAnswers()) return `kactus: container runtime: docker (${DOCKER_SOCKET} answered /_ping)`;
  return `kactus: container runtime: process (${DOCKER_SOCKET} did not answer /_ping)`;
}
