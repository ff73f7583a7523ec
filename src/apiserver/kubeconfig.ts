/** The kubeconfig that points kubectl (or any client-go program) at an API server, as admin (a token) or as a certificate's user. */
import { stringify } from 'yaml';

export interface KubeconfigParams {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  caCertPem: string;
  /** The bearer token (the admin's); or, instead, a client certificate and its key. */
  token?: string;
  clientCertificatePem?: string;
  clientKeyPem?: string;
  /** Cluster and context name (default `kactus`). */
  name?: string;
  /** User entry name (default `<name>-admin`). */
  userName?: string;
  /** Default namespace of the context (default `default`). */
  namespace?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A kubeconfig document (YAML) with the CA inline and the bearer token or the client certificate inline. */
export function buildKubeconfig(p: KubeconfigParams): string {
  const name = p.name ?? 'kactus';
  const userName = p.userName ?? `${name}-admin`;
  const user =
    p.clientCertificatePem !== undefined && p.clientKeyPem !== undefined
      ? { 'client-certificate-data': b64(p.clientCertificatePem), 'client-key-data': b64(p.clientKeyPem) }
      : { token: p.token ?? '' };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: p.url, 'certificate-authority-data': b64(p.caCertPem) } }],
    users: [{ name: userName, user }],
    contexts: [{ name, context: { cluster: name, user: userName, namespace: p.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
