/**
 * A Secret the masters of one store share and that is made once: the cluster identity (CA and
 * admin token), the ServiceAccount signing key. The first master publishes what it made; a master
 * that finds the Secret adopts it; two masters starting at once race on the create and the loser
 * adopts the winner's.
 */
import { findResource } from '../api/kinds.ts';
import { ApiError } from '../api/status.ts';
import type { Registry } from './registry.ts';

const SECRETS = findResource('', 'v1', 'secrets')!;

export interface SecretRef {
  namespace: string;
  name: string;
}

export interface SharedSecretCodec<T> {
  /** The value from the Secret's `data` (base64 values); throws when a field is missing. */
  decode(data: Record<string, unknown>): T;
  /** This master's own value and its `data`, made only when nothing is published yet. */
  make(): { value: T; data: Record<string, string> };
}

/** The published value, or undefined when the Secret does not exist yet. */
async function readShared<T>(registry: Registry, ref: SecretRef, codec: SharedSecretCodec<T>): Promise<T | undefined> {
  try {
    const secret = await registry.get(SECRETS, ref.namespace, ref.name);
    return codec.decode((secret.data ?? {}) as Record<string, unknown>);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** The cluster's value: the published one, else this master's own, published now. */
export async function sharedSecret<T>(registry: Registry, ref: SecretRef, codec: SharedSecretCodec<T>): Promise<T> {
  const published = await readShared(registry, ref, codec);
  if (published !== undefined) return published;
  const own = codec.make();
  try {
    await registry.create(SECRETS, ref.namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref.name, namespace: ref.namespace, labels: { 'app.kubernetes.io/managed-by': 'kactus' } },
      type: 'Opaque',
      data: own.data,
    });
    return own.value;
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    const winner = await readShared(registry, ref, codec);
    if (winner === undefined) throw err;
    return winner;
  }
}
