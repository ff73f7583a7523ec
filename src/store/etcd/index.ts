/**
 * `etcd://host:port,...` backend: the Store contract on a real etcd (3.4+) cluster via etcd3.
 */
import { Etcd3 } from 'etcd3';
import type { Store } from '../types.ts';
import { EtcdStore } from './store.ts';

export interface EtcdStoreOptions {
  /** Deadline of each unary etcd call in ms (default 10 000). Past it: StoreUnavailableError. */
  requestTimeoutMs?: number;
  /** A watch that cannot reconnect for this long fails with StoreUnavailableError (default 30 000). */
  watchGiveUpAfterMs?: number;
}

/** Large lists and watch batches exceed gRPC's 4 MiB default receive limit. */
const MAX_RECEIVE_BYTES = 256 * 1024 * 1024;

/**
 * Connect to the etcd cluster at `endpoints` (`host:port`, or `http(s)://host:port`) and check
 * that it answers; throws StoreUnavailableError when no member does.
 */
export async function openEtcdStore(endpoints: string[], opts: EtcdStoreOptions = {}): Promise<Store> {
  if (endpoints.length === 0) throw new Error('etcd store needs at least one endpoint');
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const client = new Etcd3({
    hosts: endpoints,
    grpcOptions: { 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES },
    // Unary calls get a deadline so a member without quorum fails the call instead of hanging it;
    // streams (watch, keep-alive) live on.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
  });
  const store = new EtcdStore(client, {
    requestTimeoutMs,
    watch: { retryDelayMs: 100, maxRetryDelayMs: 2_000, giveUpAfterMs: opts.watchGiveUpAfterMs ?? 30_000 },
  });
  try {
    await store.currentRevision();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
