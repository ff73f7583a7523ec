/**
 * `embedded://DIR`: the single-machine store backend. See README.md in this folder for the
 * file map, the write path and the on-disk format.
 */
import type { Store } from '../types.ts';
import { lockDataDir } from '../../os/dir-lock.ts';
import { History } from './history.ts';
import { MemoryJournal } from './journal.ts';
import { Keyspace } from './keyspace.ts';
import { resolveOptions, type EmbeddedOptions } from './options.ts';
import { recover } from './recovery.ts';
import { EmbeddedStore } from './store.ts';
import { WalJournal } from './wal-journal.ts';
import { mkdir } from 'node:fs/promises';

export type { EmbeddedOptions } from './options.ts';
export { ManualClock, systemClock, type Clock, type TimerHandle } from './clock.ts';
export { DataDirLockedError } from '../../os/dir-lock.ts';
export { CorruptWalError } from './recovery.ts';

/**
 * Open (creating if needed) the store kept in `dir`: recover the newest snapshot plus the WAL
 * after it, then serve. Every acknowledged write is fsync'd (group commit). One process per dir:
 * a second open throws `DataDirLockedError`. Close it with `store.close()`.
 */
export async function openEmbeddedStore(dir: string, opts?: EmbeddedOptions): Promise<Store> {
  const options = resolveOptions(opts);
  await mkdir(dir, { recursive: true });
  const unlock = await lockDataDir(dir);
  try {
    const recovered = await recover(dir, options.fsync);
    const history = new History(Math.max(recovered.snapshotRevision, recovered.keyspace.compactRevision), options.historyLimit);
    history.append(recovered.events);
    let journal: WalJournal | undefined;
    const store = new EmbeddedStore({
      keyspace: recovered.keyspace,
      history,
      options,
      journal: (sink) => {
        journal = new WalJournal(
          {
            dir,
            seq: recovered.nextSeq,
            fsync: options.fsync,
            snapshotEveryRecords: options.snapshotEveryRecords,
            snapshotEveryBytes: options.snapshotEveryBytes,
            records: recovered.records,
            bytes: recovered.bytes,
            image: () => recovered.keyspace.image(),
            // A failed snapshot means the disk is failing: stop rather than limp on.
            onSnapshotError: (err) => sink.failed(err, []),
          },
          sink,
        );
        return journal;
      },
      onClose: unlock,
    });
    journal?.snapshotIfDue();
    return store;
  } catch (err) {
    unlock();
    throw err;
  }
}

/**
 * A store that keeps everything in memory and persists nothing: same semantics (revisions,
 * CAS, watches, leases), for tests and throw-away clusters.
 */
export async function openMemoryStore(opts?: Omit<EmbeddedOptions, 'fsync' | 'snapshotEveryRecords' | 'snapshotEveryBytes'>): Promise<Store> {
  const options = resolveOptions(opts);
  return new EmbeddedStore({
    keyspace: new Keyspace(),
    history: new History(0, options.historyLimit),
    options,
    journal: (sink) => new MemoryJournal(sink),
  });
}
