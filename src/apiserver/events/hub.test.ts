/**
 * The hub over a LogSource it does not own (a stream worker's follows the main thread's), and the
 * main hub's side of that: `follow` tells its start and then every change, in order.
 */
import { describe, expect, it } from 'vitest';
import { actorKeyOf, type LogEntry, type LoggedTransition } from '../../registry/transition-log/entries.ts';
import { EventHub, type HubFollower } from './hub.ts';
import type { LogFollower, LogSource } from './log-source.ts';

const entry = (index: number, name: string, to: string): LoggedTransition => ({
  type: 'transition',
  index,
  key: `/kactus/stream/o/Pod/default/${name}/t/${index}`,
  record: { kind: 'Pod', namespace: 'default', name, uid: `uid-${name}`, actor: '', time: '2026-12-03T00:00:00.000Z', from: '', to, event: 'e' },
});

/** A source that starts at `revision` with `latest`, telling `early` before its start resolves; `follower` is kept to tell more. */
function scriptedSource(revision: number, latest: LoggedTransition[], early: LogEntry[][] = []): LogSource & { follower?: LogFollower; stopped: boolean } {
  const source: LogSource & { follower?: LogFollower; stopped: boolean } = {
    stopped: false,
    follow(f) {
      source.follower = f;
      for (const batch of early) f.onEntries(batch);
      return Promise.resolve({ revision, latest: new Map(latest.map((e) => [actorKeyOf(e.record), e])), stop: () => (source.stopped = true) });
    },
    read: () => ({ close: () => undefined }),
  };
  return source;
}

function recorder(): HubFollower & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    onStart: (revision, latest) => log.push(`start ${revision} ${latest.map((e) => e.index).join(',')}`),
    onEntries: (entries) => log.push(`entries ${entries.map((e) => e.index).join(',')}`),
    onDeleted: (keys) => log.push(`deleted ${keys.length}`),
    onProgress: (revision) => log.push(`progress ${revision}`),
    onError: (err) => log.push(`error ${err.message}`),
  };
}

describe('EventHub over a LogSource', () => {
  it('applies changes told before its start resolved after the start, and none twice', async () => {
    const source = scriptedSource(10, [entry(9, 'a', 'x')], [[entry(10, 'a', 'old'), entry(11, 'b', 'y')]]);
    const hub = new EventHub({ source });
    await hub.ready();
    expect(hub.position).toBe(11);
    expect(hub.snapshot().map((e) => `${e.record.name}=${e.record.to}`)).toEqual(['a=x', 'b=y']);
    source.follower!.onEntries([entry(11, 'b', 'again'), entry(12, 'a', 'z')]);
    expect(hub.position).toBe(12);
    expect(hub.snapshot().map((e) => `${e.record.name}=${e.record.to}`)).toEqual(['b=y', 'a=z']);
    hub.close();
    expect(source.stopped).toBe(true);
  });

  it('follow: the start at the position, then each change once, in order; stop ends it; a failure or close is told', async () => {
    const source = scriptedSource(5, [entry(4, 'a', 'x')]);
    const hub = new EventHub({ source });
    const first = recorder();
    const stopFirst = await hub.follow(first);
    source.follower!.onEntries([entry(5, 'a', 'dup'), entry(6, 'a', 'y'), entry(7, 'b', 'z')]);
    source.follower!.onProgress(9);
    const second = recorder();
    await hub.follow(second);
    source.follower!.onEntries([entry(10, 'b', 'w')]);
    stopFirst();
    source.follower!.onEntries([entry(11, 'a', 'v')]);
    source.follower!.onError(new Error('compacted'));
    expect(first.log).toEqual(['start 5 4', 'entries 6,7', 'progress 9', 'entries 10']);
    expect(second.log).toEqual(['start 9 6,7', 'entries 10', 'entries 11', 'error compacted']);
    // The hub starts afresh for its next follower.
    const third = recorder();
    const again = scriptedSource(20, []);
    Object.assign(source, { follow: again.follow });
    await hub.follow(third);
    expect(third.log).toEqual(['start 20 ']);
    hub.close();
    expect(third.log).toEqual(['start 20 ', 'error event hub closed']);
  });
});
