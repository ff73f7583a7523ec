/**
 * What `kactus up` and `kactus master` share: open the store, start a master (API server, mesh
 * gateway for node daemons, leader election, scheduler and node controller on the leader), write
 * the admin kubeconfig, print the lines tests and users wait for, and close cleanly on
 * SIGINT/SIGTERM.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import type { PodNetworkConfig } from '../actors/nodeipam/config.ts';
import { startMaster, type Master } from '../master/master.ts';
import type { MasterJoinSource } from '../apiserver/server.ts';
import { HEARTBEAT_INTERVAL_MS, MIN_HEARTBEATS_PER_GRACE } from '../net/protocols.ts';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS, selfFencePrecedesFailure } from '../actors/node/fencing.ts';
import { openStore } from '../store/open.ts';
import type { EncryptionConfig } from '../registry/encryption/config.ts';
import { encryptedStore } from '../registry/encryption/encrypted-store.ts';
import { EncryptionTransformers } from '../registry/encryption/transformer.ts';
import { AuditLogWriter, type AuditLogOptions } from '../apiserver/audit/log-writer.ts';
import { adminKubeconfig, writeKubeconfig } from './kubeconfig.ts';

export interface ServeOptions {
  dataDir: string;
  storeUri: string;
  host: string;
  /** 0 = let the OS pick a free port. */
  port: number;
  /** This master's identity (the leader Lease's holderIdentity). */
  name?: string;
  nodeMonitorGracePeriodSeconds?: number;
  podEvictionTimeoutSeconds?: number;
  /** `--horizontal-pod-autoscaler-sync-period`. */
  horizontalPodAutoscalerSyncPeriodMs?: number;
  /** `--event-stream-workers`: threads serving the event stream's WebSockets (0 = the main thread; default cores − 1). */
  eventStreamWorkers?: number;
  /** `--cluster-cidr` / `--node-cidr-mask-size`. */
  podNetwork?: PodNetworkConfig;
  /** `--mesh-listen`: where node daemons reach this master (default loopback). */
  meshListen?: string[];
  /** Where the mesh listens without `--mesh-listen` and nothing saved (`--advertise-address`). */
  meshListenDefault?: string[];
  /** `--service-cluster-ip-range` (default 10.96.0.0/12). */
  serviceClusterIPRange?: string;
  /** `--service-node-port-range` (default 30000-32767). */
  serviceNodePortRange?: string;
  /** `--cluster-domain` (the serving certificate's `kubernetes.default.svc.<domain>`; default cluster.local). */
  clusterDomain?: string;
  /** `--encryption-provider-config`: Secrets (and what else it names) sealed in the store; absent = stored as they are. */
  encryption?: EncryptionConfig;
  /** `--audit-log-path` and its rotation: one audit event per API request. */
  audit?: Omit<AuditLogOptions, 'onDropped' | 'onError'>;
  /** Masters joining this one's local etcd member (`kactus master --cluster-init` / `--server`). */
  masterJoin?: MasterJoinSource;
}

/** JSON logs go to stderr so stdout keeps only the lines users and tests read; KACTUS_LOG_LEVEL tunes them. */
const logger = pino({ name: 'kactus', level: process.env.KACTUS_LOG_LEVEL ?? 'info' }, pino.destination(2));

/** A running API server with its store; `close()` stops both (idempotent). */
export interface Serving {
  url: string;
  port: number;
  kubeconfigPath: string;
  master: Master;
  /** Run before the master closes (node daemons started beside it). */
  onClose(fn: () => Promise<void>): void;
  close(): Promise<void>;
}

/**
 * Starts serving and writes `DATA_DIR/kubeconfig`. Prints
 * `kactus: API server listening on URL` and `kactus: kubeconfig written to PATH`.
 */
export async function serve(opts: ServeOptions, log: (line: string) => void): Promise<Serving> {
  await mkdir(opts.dataDir, { recursive: true });
  const opened = await openStore(opts.storeUri);
  // Below this wrapper values are sealed; everything above it (master, registry, informers) sees them plain.
  const store = opts.encryption ? encryptedStore(opened, new EncryptionTransformers(opts.encryption)) : opened;
  let master: Master;
  let audit: AuditLogWriter | undefined;
  try {
    if (opts.audit) {
      let warned = 0;
      audit = await AuditLogWriter.open({
        ...opts.audit,
        // Dropped events are counted, never waited for; say so in the log now and then, not per event.
        onDropped: () => {
          if (audit && audit.dropped >= warned * 2 + 1) {
            warned = audit.dropped;
            logger.warn({ dropped: audit.dropped }, 'audit log: events dropped (buffer full or write failed)');
          }
        },
        onError: (err) => logger.error({ err }, 'audit log write failed'),
      });
    }
    master = await startMaster({
      store,
      dataDir: opts.dataDir,
      host: opts.host,
      port: opts.port,
      name: opts.name,
      nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds,
      podEvictionTimeoutSeconds: opts.podEvictionTimeoutSeconds,
      horizontalPodAutoscalerSyncPeriodMs: opts.horizontalPodAutoscalerSyncPeriodMs,
      ...(opts.eventStreamWorkers !== undefined ? { eventStream: { workers: opts.eventStreamWorkers } } : {}),
      podNetwork: opts.podNetwork,
      ...(opts.meshListen ? { meshListen: opts.meshListen } : {}),
      ...(opts.meshListenDefault ? { meshListenDefault: opts.meshListenDefault } : {}),
      serviceClusterIPRange: opts.serviceClusterIPRange,
      serviceNodePortRange: opts.serviceNodePortRange,
      ...(opts.clusterDomain ? { clusterDomain: opts.clusterDomain } : {}),
      ...(audit ? { audit } : {}),
      ...(opts.masterJoin ? { masterJoin: opts.masterJoin } : {}),
      logger,
    });
  } catch (err) {
    await audit?.close();
    await store.close();
    throw err;
  }
  const server = master.api;
  const kubeconfigPath = join(opts.dataDir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, adminKubeconfig(server.url, server.caCertPem, server.adminToken));
  log(`kactus: store ${opts.storeUri}`);
  log(`kactus: API server listening on ${server.url}`);
  log(`kactus: kubeconfig written to ${kubeconfigPath}`);
  log(`kactus: mesh listening on ${master.meshAddrs.join(',')}`);
  const streamWorkers = (await server.eventStreamStats()).length - 1;
  log(`kactus: event stream served by ${streamWorkers > 0 ? `${streamWorkers} worker thread(s)` : 'the main thread'}`);
  const grace = opts.nodeMonitorGracePeriodSeconds;
  if (grace !== undefined && grace * 1000 < MIN_HEARTBEATS_PER_GRACE * HEARTBEAT_INTERVAL_MS) {
    log(
      `kactus: warning: --node-monitor-grace-period ${grace}s spans fewer than ${MIN_HEARTBEATS_PER_GRACE} heartbeats ` +
        `(one every ${HEARTBEAT_INTERVAL_MS / 1000}s): live nodes will flap NotReady`,
    );
  }
  const notReadyGraceMs = (grace ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS) * 1000;
  const podFailGraceMs = (opts.podEvictionTimeoutSeconds ?? DEFAULT_POD_EVICTION_TIMEOUT_SECONDS) * 1000;
  if (!selfFencePrecedesFailure(notReadyGraceMs, podFailGraceMs)) {
    log(
      `kactus: warning: --node-monitor-grace-period + --pod-eviction-timeout (${(notReadyGraceMs + podFailGraceMs) / 1000}s) leave a partitioned node ` +
        `too little time to stop its pods before they are failed: a StatefulSet pod may run twice for a moment (src/actors/node/fencing.ts)`,
    );
  }
  let closing: Promise<void> | undefined;
  const beforeClose: (() => Promise<void>)[] = [];
  return {
    url: server.url,
    port: server.port,
    kubeconfigPath,
    master,
    onClose: (fn) => void beforeClose.push(fn),
    close: () =>
      (closing ??= (async () => {
        for (const fn of beforeClose.splice(0).reverse()) await fn();
        await master.close();
        await audit?.close();
        await store.close();
      })()),
  };
}

/**
 * Resolves on the first SIGINT or SIGTERM after closing `serving`; a second signal exits at once
 * (a close that hangs must not trap the user).
 */
export function closeOnSignal(serving: Serving, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130)).once('SIGTERM', () => process.exit(143));
      log(`kactus: ${signal} received, shutting down`);
      serving.close().then(() => {
        log('kactus: stopped');
        resolve();
      }, reject);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}
