/**
 * Leases on etcd's raw lease API. The store picks lease ids itself: ids etcd picks are 64-bit
 * and would not survive a JS number, while the Store contract hands leases out as numbers.
 */
import { GRPCFailedPreconditionError, type Etcd3 } from 'etcd3';
import { randomInt } from 'node:crypto';
import { LeaseNotFoundError } from '../errors.ts';
import { int } from './codec.ts';
import { toStoreError } from './errors.ts';

/** Grants retry with a fresh random id when etcd says the id is taken (FailedPrecondition). */
const GRANT_ATTEMPTS = 5;
/** Ids are drawn below 2^48 (crypto.randomInt's range limit): safe integers, collisions negligible. */
const MAX_LEASE_ID = 2 ** 48;

export async function grantLease(client: Etcd3, ttlSeconds: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const id = randomInt(1, MAX_LEASE_ID);
    try {
      const res = await client.leaseClient.leaseGrant({ ID: id, TTL: ttlSeconds });
      return int(res.ID);
    } catch (err) {
      if (err instanceof GRPCFailedPreconditionError && attempt < GRANT_ATTEMPTS) continue;
      throw toStoreError(err, id);
    }
  }
}

/**
 * Renew a lease once over a short-lived keep-alive stream. etcd answers an unknown or expired
 * lease with TTL 0 rather than an error.
 */
export async function keepAliveOnce(client: Etcd3, lease: number, timeoutMs: number): Promise<void> {
  let stream;
  try {
    stream = await client.leaseClient.leaseKeepAlive({ deadline: Date.now() + timeoutMs });
  } catch (err) {
    throw toStoreError(err, lease);
  }
  const opened = stream;
  try {
    const ttl = await new Promise<number>((resolve, reject) => {
      opened.on('data', (res) => resolve(int(res.TTL)));
      opened.on('error', reject);
      opened.on('end', () => reject(new Error('lease keep-alive stream ended without an answer')));
      opened.write({ ID: lease });
    });
    if (ttl <= 0) throw new LeaseNotFoundError(lease);
  } catch (err) {
    throw toStoreError(err, lease);
  } finally {
    opened.on('error', () => undefined);
    opened.end();
    opened.cancel();
  }
}

export async function revokeLease(client: Etcd3, lease: number): Promise<void> {
  try {
    await client.leaseClient.leaseRevoke({ ID: lease });
  } catch (err) {
    throw toStoreError(err, lease);
  }
}
