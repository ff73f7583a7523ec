/**
 * The node's half of kactus' local provisioner (the master's: src/actors/volume/local-provisioner.ts):
 * the directories of the local-path PersistentVolumes whose node affinity names this node, under
 * `<data dir>/volumes/<volume name>`.
 *
 * From the node's watch of PersistentVolumes (ClusterCache), on every change and every
 * `resyncMs` (30 s), one pass at a time:
 * - a live volume of this node: make its directory (mode 0777, as rancher's provisioner does, so
 *   containers running as any user can write), then report `volume.directory.created` until the
 *   node's finalizer `kactus.io/local-volume` is on it (the master adds it; only then may the
 *   volume bind, so no pod mounts a directory that does not exist);
 * - a volume of this node being deleted, once the master no longer protects it (not Bound, no
 *   `kubernetes.io/pv-protection`: a volume deleted while its claim still uses it keeps its data):
 *   with reclaim Delete remove the directory (Retain keeps it, for the administrator), then
 *   report `volume.directory.released` until the finalizer is gone (the master removes it and
 *   the volume object goes);
 * - a volume of this node that left the store while the node held it (its finalizer removed by
 *   hand): with Delete, its directory is removed too.
 *
 * Only directories inside the volumes dir and named after their volume are ever touched: a
 * volume naming any other path is left alone (and logged). Reports are re-sent on every pass
 * while the finalizer says otherwise (at most every `resendMs`), so a report lost with a broken
 * channel is repaired by the relist after the reconnect, or by the next resync.
 */
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { KubeObject } from '../../src/api/object.ts';
import { holdsLocalVolumeFinalizer, isLocalVolumeOf, volumePath } from '../../src/api/storage/local-volume.ts';
import { reclaimPolicyOf } from '../../src/api/storage/helpers.ts';
import { PV_PROTECTION_FINALIZER } from '../../src/api/storage/names.ts';
import type { VolumeDirectoryReport } from '../../src/net/messages.ts';
import type { ClusterCache } from '../cluster-cache.ts';

export type VolumeReportType = 'volume.directory.created' | 'volume.directory.released';

export interface LocalVolumesOptions {
  nodeName: string;
  /** `<data dir>/volumes`: every directory this node makes is directly inside it. */
  dir: string;
  /** The node's watch cache; it must include `persistentvolumes`. */
  cache: Pick<ClusterCache, 'synced' | 'list' | 'onChange'>;
  /** Sends a report to the master (the actor channel); may throw while disconnected. */
  report(type: VolumeReportType, body: VolumeDirectoryReport): Promise<void> | void;
  log?: (line: string) => void;
  /** Full pass period (default 30 s); 0 turns it off. */
  resyncMs?: number;
  /** Least time between two equal reports of one volume (default 2 s). */
  resendMs?: number;
  now?: () => number;
}

interface Known {
  name: string;
  path: string;
  reclaimPolicy: string;
}

export class LocalVolumes {
  private readonly known = new Map<string, Known>();
  private readonly sent = new Map<string, { type: VolumeReportType; at: number }>();
  private readonly warned = new Set<string>();
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private readonly dir: string;

  constructor(private readonly opts: LocalVolumesOptions) {
    this.dir = resolve(opts.dir);
  }

  /** Follows the cache (and the resync timer) from now on. */
  start(): void {
    this.unsubscribe = this.opts.cache.onChange((resource) => {
      if (resource === 'persistentvolumes') this.poke();
    });
    const resyncMs = this.opts.resyncMs ?? 30_000;
    if (resyncMs > 0) {
      this.timer = setInterval(() => this.poke(), resyncMs);
      this.timer.unref();
    }
    this.poke();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** A pass now, or right after the one running (passes never overlap). */
  poke(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: unknown) => this.opts.log?.(`kactus: node ${this.opts.nodeName}: local volumes: ${String(err)}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Resolves when no pass is running or asked for (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** The directory of volume `name` (where the master's provisioner put it). */
  pathOf(name: string): string {
    return resolve(this.dir, name);
  }

  private async pass(): Promise<void> {
    const { cache, nodeName } = this.opts;
    if (!cache.synced('persistentvolumes')) return;
    const mine = cache.list<KubeObject>('persistentvolumes').filter((v) => isLocalVolumeOf(v, nodeName));
    const present = new Set<string>();
    for (const volume of mine) {
      const uid = volume.metadata?.uid ?? '';
      const name = volume.metadata?.name ?? '';
      const path = this.ownPath(volume);
      if (!path || !uid) continue;
      present.add(uid);
      const reclaimPolicy = reclaimPolicyOf(volume);
      this.known.set(uid, { name, path, reclaimPolicy });
      if (volume.metadata?.deletionTimestamp) {
        // Deleted while still in use (Bound, pv-protection on): the directory stays until the master lets go.
        if (!releasable(volume)) continue;
        if (reclaimPolicy === 'Delete') await rm(path, { recursive: true, force: true });
        if (holdsLocalVolumeFinalizer(volume)) await this.send('volume.directory.released', { name, uid });
      } else {
        await mkdir(path, { recursive: true });
        // mkdir's mode is cut by the umask; the directory must be writable by any container user.
        await chmod(path, 0o777);
        if (!holdsLocalVolumeFinalizer(volume)) await this.send('volume.directory.created', { name, uid });
      }
    }
    // Gone from the store while we held them (a finalizer removed by hand): Delete still removes the directory.
    for (const [uid, known] of this.known) {
      if (present.has(uid)) continue;
      this.known.delete(uid);
      this.sent.delete(uid);
      if (known.reclaimPolicy === 'Delete' && (await exists(known.path))) await rm(known.path, { recursive: true, force: true });
    }
  }

  /** The volume's directory when it is one this node may touch: `<dir>/<volume name>`. */
  private ownPath(volume: KubeObject): string | undefined {
    const name = volume.metadata?.name ?? '';
    const raw = volumePath(volume);
    const path = raw ? resolve(raw) : undefined;
    if (path && dirname(path) === this.dir && basename(path) === name) return path;
    if (!this.warned.has(name)) {
      this.warned.add(name);
      this.opts.log?.(`kactus: node ${this.opts.nodeName}: local volume ${name} names ${raw ?? 'no path'}, not ${this.pathOf(name)}; left alone`);
    }
    return undefined;
  }

  private async send(type: VolumeReportType, body: VolumeDirectoryReport): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    const last = this.sent.get(body.uid);
    if (last && last.type === type && now - last.at < (this.opts.resendMs ?? 2_000)) return;
    try {
      await this.opts.report(type, body);
      this.sent.set(body.uid, { type, at: now });
    } catch (err) {
      // Not connected: the relist after the reconnect (or the resync) reports again.
      this.opts.log?.(`kactus: node ${this.opts.nodeName}: report ${type} for ${body.name}: ${String(err)}`);
    }
  }
}

/** A deleted volume the master no longer protects: not Bound, `kubernetes.io/pv-protection` gone. */
function releasable(volume: KubeObject): boolean {
  const phase = (volume.status as { phase?: string } | undefined)?.phase;
  return phase !== 'Bound' && !(volume.metadata?.finalizers ?? []).includes(PV_PROTECTION_FINALIZER);
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** `<data dir>/volumes`: where a node's local-path volumes live (the join request tells the master). */
export function localVolumesDir(dataDir: string): string {
  return resolve(dataDir, 'volumes');
}
