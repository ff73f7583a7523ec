/**
 * One cluster, one identity: every master over the same store serves with a certificate from the
 * same CA and accepts the same admin token, so a kubeconfig written by any master works against
 * every other (as kubeadm's `--upload-certs` shares the CA between control-plane nodes through
 * the Secret `kube-system/kubeadm-certs`).
 *
 * The first master to start publishes its CA and admin token in the Secret
 * `kube-system/kactus-cluster-identity`; a master that finds the Secret adopts what it holds.
 * Two masters starting at once race on create, and the loser adopts the winner's. The Secret is
 * as readable as any Secret: kactus has no authorization yet, so every token holder is admin
 * (and could mint certificates with the key) anyway.
 */
import type { ClusterIdentity } from './pki.ts';
import type { Registry } from '../registry/registry.ts';
import { sharedSecret } from '../registry/shared-secret.ts';

export const IDENTITY_SECRET = { namespace: 'kube-system', name: 'kactus-cluster-identity' } as const;

const KEYS = { caCert: 'ca.crt', caKey: 'ca.key', token: 'admin.token' } as const;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: unknown): string | undefined => (typeof s === 'string' && s !== '' ? Buffer.from(s, 'base64').toString('utf8') : undefined);

/** The cluster's identity: the published one, else `local`, published now. */
export function shareClusterIdentity(registry: Registry, local: ClusterIdentity): Promise<ClusterIdentity> {
  return sharedSecret(registry, IDENTITY_SECRET, {
    decode: (data) => {
      const caCertPem = unb64(data[KEYS.caCert]);
      const caKeyPem = unb64(data[KEYS.caKey]);
      const adminToken = unb64(data[KEYS.token])?.trim();
      if (!caCertPem || !caKeyPem || !adminToken) {
        throw new Error(`Secret ${IDENTITY_SECRET.namespace}/${IDENTITY_SECRET.name} lacks ${Object.values(KEYS).join(', ')}`);
      }
      return { caCertPem, caKeyPem, adminToken };
    },
    make: () => ({ value: local, data: { [KEYS.caCert]: b64(local.caCertPem), [KEYS.caKey]: b64(local.caKeyPem), [KEYS.token]: b64(local.adminToken) } }),
  });
}
