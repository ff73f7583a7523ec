/**
 * The cluster the client-library tests talk to: real kactus processes (test/e2e/harness.ts) and
 * real Docker pods. `startEtcdCluster` + `kactus master --store etcd://…` + a `kactus node` on
 * Docker when a test must compact the store under a client (410 Gone); `kactus up` otherwise.
 * The pod network is off (`--pod-network none`): exec and logs need no Service routing, and no
 * bridge or nft table is left to clean up.
 */
import { join } from 'node:path';
import { dockerClient, ensureBusyboxImage } from '../support/docker.ts';
import { startEtcdCluster, type EtcdCluster } from '../support/etcd.ts';
import { background, kactusBin, ok, run, startKactusMaster, startKactusUp, type Background, type KactusServer } from '../e2e/harness.ts';
import { removeNodeLeftovers } from '../e2e/node-containers.ts';

export interface ClientCluster {
  server: KactusServer;
  /** The Node that runs the pods (Docker runtime). */
  nodeName: string;
  /** The etcd the master stores into (etcd clusters only): compact it to expire old versions. */
  etcd?: EtcdCluster;
  /** Stops every process started here (by PID), then removes the node's containers. */
  stop(): Promise<void>;
}

/** `kactus up` with a Docker node named `nodeName`, state under `dir`. */
export async function startUpCluster(dir: string, nodeName: string): Promise<ClientCluster> {
  await ensureBusyboxImage(dockerClient());
  const server = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName, '--pod-network', 'none'] });
  return {
    server,
    nodeName,
    stop: async () => {
      await server.proc.kill('SIGKILL');
      await removeNodeLeftovers(dockerClient(), nodeName);
    },
  };
}

/** One etcd member, `kactus master` over it, and `kactus node` (Docker) joined with a token. */
export async function startMasterOverEtcd(dir: string, nodeName: string): Promise<ClientCluster> {
  await ensureBusyboxImage(dockerClient());
  const etcd = await startEtcdCluster({ members: 1, dataDir: join(dir, 'etcd') });
  let server: KactusServer | undefined;
  let node: Background | undefined;
  const stop = async (): Promise<void> => {
    await node?.kill('SIGKILL');
    await server?.proc.kill('SIGKILL');
    await etcd.stop();
    await removeNodeLeftovers(dockerClient(), nodeName);
  };
  try {
    server = await startKactusMaster(join(dir, 'master'), etcd.uri, `${nodeName}-m`);
    const joinLine = ok(await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', server.kubeconfig])).trim().split('\n')[1]!;
    const joinAddr = /--join (\S+)/.exec(joinLine)![1]!;
    const token = /--token (\S+)/.exec(joinLine)![1]!;
    node = background(process.execPath, [
      kactusBin, 'node', '--data-dir', join(dir, 'node'), '--join', joinAddr, '--token', token,
      '--name', nodeName, '--runtime', 'docker', '--pod-network', 'none',
    ]);
    await node.waitFor(new RegExp(`kactus: node ${nodeName} joined`), 30_000);
    return { server, nodeName, etcd, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
