/** The kubeconfig that points kubectl (or any client-go program) at an API server as admin. */
import { stringify } from 'yaml';

export interface KubeconfigParams {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  caCertPem: string;
  token: string;
  /** Cluster, user and context name (default `kactus`). */
  name?: string;
  /** Default namespace of the context (default `default`). */
  namespace?: string;
}

/** A kubeconfig document (YAML) with the CA inline and the bearer token. */
export function buildKubeconfig(p: KubeconfigParams): string {
  const name = p.name ?? 'kactus';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: p.url, 'certificate-authority-data': Buffer.from(p.caCertPem).toString('base64') } }],
    users: [{ name: `${name}-admin`, user: { token: p.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: p.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
