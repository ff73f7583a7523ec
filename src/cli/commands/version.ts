/** `kactus version`: the client's version and the server's `/version`. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { openSession, type GlobalOptions } from '../session.ts';

interface VersionOptions extends GlobalOptions {
  client?: boolean;
}

/** The client version: `v` + package.json's version. */
export const CLIENT_VERSION = `v${(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version}`;

export function versionCommand(): Command {
  return new Command('version')
    .description('Print the client and server versions')
    .option('--client', 'client version only')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<VersionOptions>();
      process.stdout.write(`Client Version: ${CLIENT_VERSION}\n`);
      if (opts.client) return;
      const session = await openSession(opts);
      const server = await session.client.json<{ gitVersion?: string }>('GET', '/version');
      process.stdout.write(`Server Version: ${server.gitVersion ?? 'unknown'}\n`);
    });
}
