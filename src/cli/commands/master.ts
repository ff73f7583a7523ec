/**
 * `kactus master`: an API server over any store (`embedded://DIR` or `etcd://h1:2379,...`).
 * Several masters may share one etcd store; leader election is not part of this version.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { integer } from '../flags.ts';

interface MasterOptions {
  dataDir: string;
  port: number;
  host: string;
  store: string;
  name: string;
}

export function masterCommand(): Command {
  return new Command('master')
    .description('Serve the Kubernetes API over a store shared with other masters')
    .requiredOption('--data-dir <dir>', 'where this master keeps its PKI and kubeconfig')
    .requiredOption('--store <uri>', 'embedded://DIR or etcd://host:port[,host:port...]')
    .option('--port <port>', 'HTTPS port of the API server (0 = pick a free one)', integer, 6443)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--name <name>', 'this master\'s identity', hostname())
    .action(async (opts: MasterOptions) => {
      // Loaded here, not at the top: client verbs must not pay for loading the API server.
      const { closeOnSignal, serve } = await import('../serve.ts');
      const log = (line: string): void => void process.stdout.write(line + '\n');
      const dataDir = resolve(opts.dataDir);
      const serving = await serve({ dataDir, storeUri: opts.store, host: opts.host, port: opts.port }, log);
      log(`kactus: master ${opts.name} serving (leader election is not part of this version)`);
      log(`kactus: ready; run: export KUBECONFIG=${serving.kubeconfigPath}`);
      await closeOnSignal(serving, log);
    });
}
