/**
 * The key ServiceAccount tokens are signed with, one per cluster: every master signs with it and
 * verifies every other master's tokens. The first master makes an EC P-256 key and keeps it in
 * the Secret `kube-system/kactus-service-account-key`; the others (and restarts) adopt it. Two
 * masters starting at once race on the create, and the loser adopts the winner's. (Kubernetes
 * gives every kube-apiserver the same key file; here the store is what masters share.)
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Registry } from '../registry.ts';
import { sharedSecret } from '../shared-secret.ts';
import { keyId } from './jwt.ts';

export const SIGNING_KEY_SECRET = { namespace: 'kube-system', name: 'kactus-service-account-key' } as const;
const KEY_FIELD = 'key.pem';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The `kid` every token carries. */
  kid: string;
}

function fromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: keyId(publicKey) };
}

/** The cluster's signing key: the published one, else a new one, published now. */
export function sharedSigningKey(registry: Registry): Promise<SigningKey> {
  return sharedSecret(registry, SIGNING_KEY_SECRET, {
    decode: (data) => {
      const encoded = data[KEY_FIELD];
      if (typeof encoded !== 'string' || encoded === '') throw new Error(`Secret ${SIGNING_KEY_SECRET.namespace}/${SIGNING_KEY_SECRET.name} lacks ${KEY_FIELD}`);
      return fromPem(Buffer.from(encoded, 'base64').toString('utf8'));
    },
    make: () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      return { value: fromPem(pem), data: { [KEY_FIELD]: Buffer.from(pem).toString('base64') } };
    },
  });
}
