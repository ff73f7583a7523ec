/**
 * Picks the store backend by URI scheme (as kine picks drivers): `embedded://DIR` for the
 * in-process store, `etcd://host:port[,host:port...]` for an etcd cluster.
 */
import { resolve } from 'node:path';
import { openEmbeddedStore } from './embedded/index.ts';
import { openEtcdStore } from './etcd/index.ts';
import type { Store } from './types.ts';

/** A store URI with an unknown scheme or missing its directory / endpoints. */
export class InvalidStoreUriError extends Error {
  constructor(
    readonly uri: string,
    reason: string,
  ) {
    super(`invalid store URI "${uri}": ${reason} (expected embedded://DIR or etcd://host:port[,host:port...])`);
    this.name = 'InvalidStoreUriError';
  }
}

const EMBEDDED = 'embedded://';
const ETCD = 'etcd://';

/**
 * Open the store named by `uri`. `embedded://DIR`: DIR is a path, relative to the current
 * directory unless absolute (`embedded:///var/lib/kactus`). `etcd://h1:2379,h2:2379`: the
 * cluster's client endpoints.
 */
export async function openStore(uri: string): Promise<Store> {
  if (uri.startsWith(EMBEDDED)) {
    const dir = uri.slice(EMBEDDED.length);
    if (dir === '') throw new InvalidStoreUriError(uri, 'no directory');
    return openEmbeddedStore(resolve(dir));
  }
  if (uri.startsWith(ETCD)) {
    const endpoints = uri
      .slice(ETCD.length)
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    if (endpoints.length === 0) throw new InvalidStoreUriError(uri, 'no endpoints');
    return openEtcdStore(endpoints);
  }
  throw new InvalidStoreUriError(uri, 'unknown scheme');
}
