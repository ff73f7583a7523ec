import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, createActor, setup, type ActorRefFrom } from 'xstate';
import { openEmbeddedStore } from '../store/embedded/index.ts';
import { Informer } from '../store/informer.ts';
import type { Store } from '../store/types.ts';
import { ActorHost } from './host.ts';
import { InspectionBus, stateValueToString, type TransitionRecord } from './inspection.ts';
import { waitFor } from '../../test/support/wait.ts';

interface Obj {
  name: string;
  uid: string;
  on: boolean;
}

const lamp = setup({
  types: { context: {} as { version: number }, events: {} as { type: 'object.updated'; obj: Obj } | { type: 'object.deleted' } },
}).createMachine({
  id: 'lamp',
  context: { version: 0 },
  initial: 'off',
  on: { 'object.deleted': '.gone' },
  states: {
    off: { on: { 'object.updated': { guard: ({ event }) => event.obj.on, target: 'on', actions: assign({ version: ({ context }) => context.version + 1 }) } } },
    on: { on: { 'object.updated': { guard: ({ event }) => !event.obj.on, target: 'off' } } },
    gone: { type: 'final' },
  },
});


describe('ActorHost', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-host-'));
    store = await openEmbeddedStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function makeHost(bus: InspectionBus) {
    const informer = new Informer<Obj>({ store, prefix: '/lamps/', decode: (kv) => JSON.parse(kv.value) as Obj });
    const host = new ActorHost<Obj, ActorRefFrom<typeof lamp>>({
      kind: 'Lamp',
      informer,
      bus,
      identity: (o) => ({ name: o.name, uid: o.uid }),
      spawn: (o, inspect) => {
        const a = createActor(lamp, { inspect }).start();
        a.send({ type: 'object.updated', obj: o });
        return a;
      },
      update: (a, o) => a.send({ type: 'object.updated', obj: o }),
      remove: (a) => {
        a.send({ type: 'object.deleted' });
        a.stop();
      },
    });
    return { informer, host };
  }

  it('spawns, updates and removes one actor per object and publishes every transition', async () => {
    const bus = new InspectionBus();
    const seen: TransitionRecord[] = [];
    bus.subscribe((r) => seen.push(r));
    const { informer, host } = makeHost(bus);
    await store.create('/lamps/a', JSON.stringify({ name: 'a', uid: 'u1', on: true }));
    await informer.start();
    expect(host.size).toBe(1);
    expect(host.get('/lamps/a')!.getSnapshot().value).toBe('on');
    const cur = await store.get('/lamps/a');
    await store.update('/lamps/a', JSON.stringify({ name: 'a', uid: 'u1', on: false }), cur!.modRevision);
    await waitFor('the condition', () => host.get('/lamps/a')!.getSnapshot().value === 'off');
    await store.delete('/lamps/a');
    await waitFor('the condition', () => host.size === 0);
    expect(seen.map((r) => `${r.kind}/${r.name}:${r.from}->${r.to} (${r.event})`)).toEqual([
      'Lamp/a:->off (xstate.init)',
      'Lamp/a:off->on (object.updated)',
      'Lamp/a:on->off (object.updated)',
      'Lamp/a:off->gone (object.deleted)',
    ]);
    informer.stop();
  });

  it('replaces the actor when an object is recreated under the same name with a new uid', async () => {
    const { informer, host } = makeHost(new InspectionBus());
    await informer.start();
    await store.create('/lamps/a', JSON.stringify({ name: 'a', uid: 'u1', on: true }));
    await waitFor('the condition', () => host.size === 1);
    const first = host.get('/lamps/a');
    const cur = await store.get('/lamps/a');
    await store.update('/lamps/a', JSON.stringify({ name: 'a', uid: 'u2', on: true }), cur!.modRevision);
    await waitFor('the condition', () => host.get('/lamps/a') !== first);
    expect(first!.getSnapshot().status).toBe('done');
    expect(host.size).toBe(1);
    informer.stop();
  });

  it('restores actors from the store after a restart', async () => {
    await store.create('/lamps/a', JSON.stringify({ name: 'a', uid: 'u1', on: true }));
    await store.create('/lamps/b', JSON.stringify({ name: 'b', uid: 'u2', on: false }));
    await store.close();
    store = await openEmbeddedStore(dir);
    const { informer, host } = makeHost(new InspectionBus());
    await informer.start();
    expect(host.keys().sort()).toEqual(['/lamps/a', '/lamps/b']);
    expect(host.get('/lamps/a')!.getSnapshot().value).toBe('on');
    expect(host.get('/lamps/b')!.getSnapshot().value).toBe('off');
    host.stopAll();
    informer.stop();
  });

  it('names nested and parallel states', () => {
    expect(stateValueToString('idle')).toBe('idle');
    expect(stateValueToString({ running: 'backoff' })).toBe('running.backoff');
    expect(stateValueToString({ a: 'x', b: { c: 'y' } })).toBe('a.x|b.c.y');
  });
});
