/**
 * `kactus certs create user --name alice [--group dev]…`: a client certificate for a user, signed
 * by the cluster CA, written as a kubeconfig (as `kubeadm kubeconfig user --client-name`). It runs
 * where the CA key is — a master's data dir (`DIR/pki/ca.key`) — and keeps nothing: the key goes
 * into the kubeconfig only. The API server authenticates the certificate as user `--name` in the
 * `--group`s (x509: CN and O); what that user may do is RBAC's business.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ClientCertificateIssuer } from '../../apiserver/client-certificates.ts';
import { buildKubeconfig } from '../../apiserver/kubeconfig.ts';
import { CliError } from '../errors.ts';
import { collect, integer } from '../flags.ts';
import { readKubeconfig, resolveConnection } from '../kubeconfig.ts';

export interface UserKubeconfigOptions {
  /** A master's data dir: the CA is `DIR/pki/ca.crt` + `ca.key`, the server URL from `DIR/kubeconfig` unless `server`. */
  dataDir: string;
  name: string;
  groups: string[];
  days: number;
  server?: string;
}

/** The kubeconfig (YAML) for user `name` in `groups`, with a new key and a certificate valid `days`. */
export async function createUserKubeconfig(opts: UserKubeconfigOptions): Promise<string> {
  if (opts.name.trim() === '') throw new CliError('--name must not be empty');
  if (opts.days <= 0) throw new CliError('--days must be positive');
  const pki = join(opts.dataDir, 'pki');
  const read = (file: string): Promise<string> =>
    readFile(join(pki, file), 'utf8').catch(() => {
      throw new CliError(`cannot read ${join(pki, file)}: run this where a master keeps its data dir (--data-dir)`);
    });
  const [caCertPem, caKeyPem] = await Promise.all([read('ca.crt'), read('ca.key')]);
  const server = opts.server ?? (await resolveConnection(await readKubeconfig(join(opts.dataDir, 'kubeconfig')))).server;
  const issuer = new ClientCertificateIssuer(caCertPem, caKeyPem);
  const { certPem, keyPem } = await issuer.createKeyAndCertificate({ commonName: opts.name, organizations: opts.groups }, opts.days * 24 * 60 * 60);
  return buildKubeconfig({ url: server, caCertPem, clientCertificatePem: certPem, clientKeyPem: keyPem, userName: opts.name });
}

interface CreateUserFlags {
  dataDir: string;
  name: string;
  group: string[];
  days: number;
  server?: string;
  out?: string;
}

export function certsCommand(): Command {
  const certs = new Command('certs').description('Client certificates signed by the cluster CA');
  const create = certs.command('create').description('Create a client certificate');
  create
    .command('user')
    .description('Create a key and certificate for a user (CN = name, O = groups) and print a kubeconfig using them')
    .requiredOption('--name <name>', 'the user name (the certificate subject CN)')
    .option('--group <group>', 'a group of the user (the certificate subject O); repeatable', collect, [])
    .option('--days <days>', 'how long the certificate stays valid', integer, 365)
    .option('--data-dir <dir>', "a master's data dir (the cluster CA is in DIR/pki)", join(homedir(), '.kactus'))
    .option('--server <url>', 'the API server URL to write (default: the one in DIR/kubeconfig)')
    .option('-o, --out <file>', 'write the kubeconfig here (mode 0600) instead of standard output')
    .action(async (flags: CreateUserFlags) => {
      const text = await createUserKubeconfig({ dataDir: flags.dataDir, name: flags.name, groups: flags.group, days: flags.days, ...(flags.server ? { server: flags.server } : {}) });
      if (flags.out) await writeFile(flags.out, text, { mode: 0o600 });
      else process.stdout.write(text);
    });
  return certs;
}
