/**
 * Reading and writing kubeconfig files (the format kubectl uses), limited to what kactus needs:
 * clusters with a server URL and CA, users with a bearer token or client certificate, contexts.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../os/files.ts';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CliError } from './errors.ts';

/** A kubeconfig document (`kind: Config`), only the fields kactus reads or writes. */
export interface KubeConfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: KubeCluster }[];
  users: { name: string; user: KubeUser }[];
  contexts: { name: string; context: KubeContext }[];
  'current-context': string;
  preferences?: Record<string, unknown>;
}

export interface KubeCluster {
  server: string;
  'certificate-authority-data'?: string;
  'certificate-authority'?: string;
  'insecure-skip-tls-verify'?: boolean;
}

export interface KubeUser {
  token?: string;
  'client-certificate-data'?: string;
  'client-key-data'?: string;
}

export interface KubeContext {
  cluster: string;
  user: string;
  namespace?: string;
}

/** Everything a client needs to talk to one cluster, resolved from a kubeconfig context. */
export interface ClusterConnection {
  server: string;
  /** PEM of the CA that signed the server certificate; absent = system roots. */
  caPem?: string;
  insecureSkipTlsVerify: boolean;
  token?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  /** The context's namespace, or `default`. */
  namespace: string;
}

/**
 * Which kubeconfig file to read, as kubectl decides: the `--kubeconfig` flag, else the first
 * path of `$KUBECONFIG`, else `~/.kube/config`.
 */
export function kubeconfigPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  const fromEnv = env.KUBECONFIG?.split(':').find((p) => p.length > 0);
  return fromEnv ?? join(homedir(), '.kube', 'config');
}

/** Reads and parses a kubeconfig file; throws CliError when it is missing or malformed. */
export async function readKubeconfig(path: string): Promise<KubeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read kubeconfig ${path}: ${(err as Error).message}`);
  }
  const doc: unknown = parse(text);
  if (!isRecord(doc)) throw new CliError(`kubeconfig ${path} is not a YAML mapping`);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: namedEntries(doc.clusters, 'cluster').map(({ name, body }) => ({ name, cluster: body as unknown as KubeCluster })),
    users: namedEntries(doc.users, 'user').map(({ name, body }) => ({ name, user: body as KubeUser })),
    contexts: namedEntries(doc.contexts, 'context').map(({ name, body }) => ({ name, context: body as unknown as KubeContext })),
    'current-context': typeof doc['current-context'] === 'string' ? doc['current-context'] : '',
  };
}

/** Resolves a context (the current one unless named) to a connection; throws CliError if incomplete. */
export async function resolveConnection(cfg: KubeConfig, contextName?: string): Promise<ClusterConnection> {
  const name = contextName ?? cfg['current-context'];
  if (!name) throw new CliError('kubeconfig has no current-context');
  const context = cfg.contexts.find((c) => c.name === name)?.context;
  if (!context) throw new CliError(`context "${name}" not found in kubeconfig`);
  const cluster = cfg.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new CliError(`cluster "${context.cluster}" of context "${name}" has no server`);
  const user = cfg.users.find((u) => u.name === context.user)?.user ?? {};
  let caPem: string | undefined;
  if (cluster['certificate-authority-data']) caPem = fromBase64(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority']) caPem = await readFile(cluster['certificate-authority'], 'utf8');
  return {
    server: cluster.server.replace(/\/+$/, ''),
    caPem,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    token: user.token,
    clientCertPem: user['client-certificate-data'] ? fromBase64(user['client-certificate-data']) : undefined,
    clientKeyPem: user['client-key-data'] ? fromBase64(user['client-key-data']) : undefined,
    namespace: context.namespace || 'default',
  };
}

/** The kubeconfig `kactus up`/`master` write: cluster `kactus`, user `admin`, context `kactus`. */
export function adminKubeconfig(server: string, caCertPem: string, token: string): KubeConfig {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kactus', cluster: { server, 'certificate-authority-data': toBase64(caCertPem) } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'kactus', context: { cluster: 'kactus', user: 'admin', namespace: 'default' } }],
    'current-context': 'kactus',
    preferences: {},
  };
}

/**
 * Writes a kubeconfig atomically (temp file + rename, mode 0600): a reader, or a crash halfway,
 * never sees a partial file.
 */
export async function writeKubeconfig(path: string, cfg: KubeConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, stringify(cfg));
}

/** The `{name, <field>: {...}}` entries of a kubeconfig list; malformed entries are skipped as kubectl does. */
function namedEntries(value: unknown, field: string): { name: string; body: Record<string, unknown> }[] {
  if (!Array.isArray(value)) return [];
  const out: { name: string; body: Record<string, unknown> }[] = [];
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.name !== 'string') continue;
    const body = entry[field];
    if (isRecord(body)) out.push({ name: entry.name, body });
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const toBase64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const fromBase64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
