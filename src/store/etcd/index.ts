/**
 * `etcd://host:port,...` backend: the Store contract on a real etcd (3.4+) cluster via etcd3.
 */
import { circuitBreaker, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';
import type { Store } from '../types.ts';
import { EtcdStore } from './store.ts';

export interface EtcdStoreOptions {
  /** Deadline of each unary etcd call in ms (default 10 000). Past it: StoreUnavailableError. */
  requestTimeoutMs?: number;
  /** A watch that cannot reconnect for this long fails with StoreUnavailableError (default 30 000). */
  watchGiveUpAfterMs?: number;
}

/**
 * How long an endpoint that failed three calls in a row is skipped. etcd3's default is 5 s: with
 * one endpoint — a master over its own member (src/master/etcd/) — a one-second raft election
 * became five seconds without a store, longer than a node's self-fence period, and every node on
 * that master stopped its pods (found by the fault run, test/fault/fault-run.test.ts). A quarter
 * second still spares a dead member most calls when there are several.
 */
const ENDPOINT_HALF_OPEN_AFTER_MS = 250;

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
    faultHandling: { host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: ENDPOINT_HALF_OPEN_AFTER_MS, breaker: new ConsecutiveBreaker(3) }) },
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
