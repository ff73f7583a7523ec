/**
 * The flags of `kactus master` that make it run its own etcd member (src/master/etcd/), as k3s's
 * embedded etcd: `--cluster-init` on the first machine, `--server URL --token T` on the others,
 * `--advertise-address IP` where peers (and node daemons, and the API's clients) reach it.
 * Exactly one of `--store`, `--cluster-init` and `--server` says where the store is.
 */
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { parseMasterJoinToken, type MasterJoinToken } from '../master/etcd/master-token.ts';
import { CliError } from './errors.ts';
import { collect, integer } from './flags.ts';

export interface EtcdMemberFlags {
  store?: string;
  clusterInit?: boolean;
  server?: string;
  token?: string;
  advertiseAddress: string;
  etcdClientPort: number;
  etcdPeerPort: number;
  etcdArg: readonly string[];
}

/** Where the master's store is: a URI, or this machine's member (joining through `join` first when given). */
export type StoreChoice = { kind: 'uri'; uri: string } | { kind: 'member'; join?: { server: string; token: MasterJoinToken } };

export function withEtcdMemberFlags(cmd: Command): Command {
  return cmd
    .option('--cluster-init', 'run a local etcd member and start a new cluster with it (the first master)')
    .option('--server <url>', 'join the cluster of the master at URL (https://IP:6443) with a local etcd member')
    .option('--token <token>', 'master join token (K10<CA hash>::<id>.<secret>) for --server')
    .option('--advertise-address <ip>', 'where the other masters reach this one\'s etcd member (also the API\'s and the mesh\'s default address)', '127.0.0.1')
    .option('--etcd-client-port <port>', 'the local etcd member\'s client port (127.0.0.1 only)', integer, 2379)
    .option('--etcd-peer-port <port>', 'the local etcd member\'s peer port (TLS, on the advertise address)', integer, 2380)
    .option('--etcd-arg <key=value>', 'extra etcd flag for the local member, e.g. heartbeat-interval=50 (repeatable)', collect, []);
}

/** The store the flags name; CliError (naming the flag) for a wrong combination. */
export function storeChoice(opts: EtcdMemberFlags): StoreChoice {
  const given = [opts.store !== undefined && '--store', opts.clusterInit === true && '--cluster-init', opts.server !== undefined && '--server'].filter(Boolean);
  if (given.length === 0) throw new CliError('give --store URI (an etcd cluster or embedded dir), --cluster-init (the first master of a new cluster) or --server URL --token TOKEN (join one)');
  if (given.length > 1) throw new CliError(`${given.join(' and ')} exclude each other: the store is one of them`);
  if (opts.token !== undefined && opts.server === undefined) throw new CliError('--token goes with --server (the master to join through)');
  if (isIP(opts.advertiseAddress) === 0) throw new CliError(`--advertise-address: "${opts.advertiseAddress}" is not an IP address`);
  for (const [flag, port] of [['--etcd-client-port', opts.etcdClientPort], ['--etcd-peer-port', opts.etcdPeerPort]] as const) {
    if (port < 1 || port > 65535) throw new CliError(`${flag}: ${port} is not a port number (1-65535)`);
  }
  for (const arg of opts.etcdArg) if (!/^(--)?[a-z][a-z0-9-]*=/.test(arg)) throw new CliError(`--etcd-arg: "${arg}" is not KEY=VALUE (an etcd flag without its dashes)`);
  if (opts.store !== undefined) return { kind: 'uri', uri: opts.store };
  if (opts.server === undefined) return { kind: 'member' };
  let url: URL;
  try {
    url = new URL(opts.server);
  } catch {
    throw new CliError(`--server: "${opts.server}" is not a URL (https://IP:PORT of a master)`);
  }
  if (url.protocol !== 'https:') throw new CliError(`--server: "${opts.server}" is not an https:// URL`);
  if (opts.token === undefined) throw new CliError('--server needs --token: the master join token the first master printed (or `kactus token create --master`)');
  const token = parseMasterJoinToken(opts.token);
  if (!token) {
    throw new CliError('--token: a master join token looks like K10<64 hex>::<id>.<secret> (the first master prints it; `kactus token create --master` makes more); a node join token cannot join a master');
  }
  return { kind: 'member', join: { server: url.origin, token } };
}
