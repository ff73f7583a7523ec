/**
 * Simulated nodes for `kactus up --nodes N --runtime hollow` and scale tests (as kubemark's
 * hollow nodes): N node daemons in one process, each with its own data dir, mesh identity and
 * HollowRuntime. To keep each node cheap they listen nowhere (they only dial the master) and run
 * no containers.
 */
import { join } from 'node:path';
import { startNodeDaemon, type NodeDaemon, type NodeDaemonOptions } from './daemon.ts';
import { HollowRuntime } from './runtime/hollow.ts';

export interface HollowNodesOptions extends Omit<NodeDaemonOptions, 'dataDir' | 'runtime' | 'name' | 'listen'> {
  /** Each node keeps its identity in `<dataDir>/<name>`. */
  dataDir: string;
  /** Node names are `<namePrefix>-<i>`, i from 0; default `hollow`. */
  namePrefix?: string;
}

export interface HollowNodes {
  readonly nodes: NodeDaemon[];
  close(): Promise<void>;
}

/** Start `n` hollow node daemons joined to the same masters. If one fails to start, the others are stopped. */
export async function startHollowNodes(n: number, opts: HollowNodesOptions): Promise<HollowNodes> {
  const { namePrefix = 'hollow', dataDir, ...common } = opts;
  const started = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => {
      const name = `${namePrefix}-${i}`;
      return startNodeDaemon({ ...common, name, dataDir: join(dataDir, name), runtime: new HollowRuntime(), listen: [] });
    }),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map(async (d) => {
      await d.close();
      await d.runtime.close();
    }));
  };
  if (failure) {
    await close();
    throw failure.reason;
  }
  return { nodes, close };
}
