/**
 * The key ServiceAccount tokens are signed with, one per cluster: every master signs with it and
 * verifies every other master's tokens. The first master makes an EC P-256 key and keeps it in
 * the Secret `kube-system/kactus-service-account-key`; the others (and restarts) adopt it. Two
 * masters starting at once race on the create, and the loser adopts the winner's. (Kubernetes
 * gives every kube-apiserver the same key file; here the store is what masters share.)
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { findResource } from '../../api/kinds.ts';
import { ApiError } from '../../api/status.ts';
import type { Registry } from '../registry.ts';
import { keyId } from './jwt.ts';

export const SIGNING_KEY_SECRET = { namespace: 'kube-system', name: 'kactus-service-account-key' } as const;
const SECRETS = findResource('', 'v1', 'secrets')!;
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

async function readKey(registry: Registry): Promise<SigningKey | undefined> {
  try {
    const secret = await registry.get(SECRETS, SIGNING_KEY_SECRET.namespace, SIGNING_KEY_SECRET.name);
    const data = (secret.data ?? {}) as Record<string, unknown>;
    const encoded = data[KEY_FIELD];
    if (typeof encoded !== 'string' || encoded === '') throw new Error(`Secret ${SIGNING_KEY_SECRET.namespace}/${SIGNING_KEY_SECRET.name} lacks ${KEY_FIELD}`);
    return fromPem(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** The cluster's signing key: the published one, else a new one, published now. */
export async function sharedSigningKey(registry: Registry): Promise<SigningKey> {
  const published = await readKey(registry);
  if (published) return published;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    await registry.create(SECRETS, SIGNING_KEY_SECRET.namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: SIGNING_KEY_SECRET.name, namespace: SIGNING_KEY_SECRET.namespace, labels: { 'app.kubernetes.io/managed-by': 'kactus' } },
      type: 'Opaque',
      data: { [KEY_FIELD]: Buffer.from(pem).toString('base64') },
    });
    return fromPem(pem);
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    const winner = await readKey(registry);
    if (!winner) throw err;
    return winner;
  }
}
