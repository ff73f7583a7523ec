/**
 * A master keeps its mesh address across restarts: the multiaddrs it first listened on (with the
 * port the OS picked) are saved in `DIR/mesh/listen` and asked for again on the next start, so
 * join lines handed out and node daemons already joined keep working after a master restart.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = 'listen';
export const DEFAULT_MESH_LISTEN = ['/ip4/127.0.0.1/tcp/0'];

/** The saved listen addresses, if any. */
export async function savedMeshListen(meshDir: string): Promise<string[] | undefined> {
  try {
    const lines = (await readFile(join(meshDir, FILE), 'utf8')).split('\n').filter(Boolean);
    return lines.length > 0 ? lines : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Save the addresses the host listens on, without the `/p2p/<peer id>` suffix. */
export async function saveMeshListen(meshDir: string, addrs: string[]): Promise<void> {
  const listen = addrs.map((a) => a.replace(/\/p2p\/[^/]+$/, ''));
  await writeFile(join(meshDir, FILE), listen.join('\n') + '\n');
}
