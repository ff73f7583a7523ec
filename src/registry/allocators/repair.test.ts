import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyDefaults } from '../../api/defaults.ts';
import { objectKey, prepareForCreate } from '../../api/metadata.ts';
import { encodeObject } from '../codec.ts';
import { AllocationRepair, type RepairEventSink } from './repair.ts';
import { serviceRanges } from './ranges.ts';
import { clusterIPKey, encodeOwner, nodePortKey } from './records.ts';
import { embeddedFixture, NS, records, service, SERVICES, specOf, type AllocationFixture } from './test-support.ts';

const RANGES = { clusterIPRange: '10.96.0.0/16', nodePortRange: '30000-30999' };
let f: AllocationFixture;
let events: { reason: string; message: string; name: string }[];
let now: number;
let repair: AllocationRepair;

beforeEach(async () => {
  f = await embeddedFixture(RANGES);
  events = [];
  now = 1_000_000;
  const sink: RepairEventSink = {
    record: (ref, _type, reason, message) => {
      events.push({ reason, message, name: ref.name });
      return Promise.resolve();
    },
  };
  repair = new AllocationRepair({ store: f.store, ranges: serviceRanges(RANGES), events: sink, leakGraceMs: 10_000, now: () => now });
});
afterEach(async () => {
  repair.stop();
  await f.close();
});

/** Stores a Service directly, as a write that bypassed the registry would (no records). */
async function storeDirectly(name: string, spec: Record<string, unknown>): Promise<void> {
  const svc = prepareForCreate(SERVICES, applyDefaults(SERVICES, service(name, spec)), new Date(), { namespace: NS });
  await f.store.create(objectKey(SERVICES, NS, name), encodeObject(svc));
}

describe('allocation repair', () => {
  it('does nothing when every Service has its records', async () => {
    await f.registry.create(SERVICES, NS, service('web', { type: 'NodePort' }));
    expect(await repair.runOnce()).toEqual({ repaired: [], released: [], conflicts: [], outOfRange: [] });
    expect(events).toEqual([]);
  });

  it('re-records a value a Service holds without a record, and says so', async () => {
    const svc = await f.registry.create(SERVICES, NS, service('web', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    const ip = specOf(svc).clusterIP as string;
    await f.store.delete(clusterIPKey(ip));
    await f.store.delete(nodePortKey(30080));
    const report = await repair.runOnce();
    expect(report.repaired.sort()).toEqual([clusterIPKey(ip), nodePortKey(30080)].sort());
    expect(events.map((e) => `${e.reason}: ${e.message}`).sort()).toEqual([`ClusterIPNotAllocated: Cluster IP [IPv4]: ${ip} is not allocated; repairing`, 'PortNotAllocated: Port 30080 is not allocated; repairing']);
    const r = await records(f.store);
    expect(r.ips.get(ip)?.uid).toBe(svc.metadata?.uid);
    expect(r.ports.get(30080)?.uid).toBe(svc.metadata?.uid);
  });

  it('releases a record no Service holds only after it was seen leaked for the grace', async () => {
    await f.store.create(clusterIPKey('10.96.0.77'), encodeOwner({ namespace: NS, name: 'gone', uid: 'u-gone' }));
    expect((await repair.runOnce()).released).toEqual([]);
    now += 5_000;
    expect((await repair.runOnce()).released).toEqual([]);
    now += 5_000;
    expect((await repair.runOnce()).released).toEqual([clusterIPKey('10.96.0.77')]);
    expect((await records(f.store)).ips.size).toBe(0);
  });

  it('keeps a record re-used before the grace ran out', async () => {
    await f.store.create(clusterIPKey('10.96.0.78'), encodeOwner({ namespace: NS, name: 'gone', uid: 'u-gone' }));
    await repair.runOnce();
    // A Service takes the address (through the registry) after the record went away.
    await f.store.delete(clusterIPKey('10.96.0.78'));
    await f.registry.create(SERVICES, NS, service('web', { clusterIP: '10.96.0.78' }));
    now += 60_000;
    expect((await repair.runOnce()).released).toEqual([]);
    expect((await records(f.store)).ips.get('10.96.0.78')?.name).toBe('web');
  });

  it('reports values claimed twice and values out of range', async () => {
    await f.registry.create(SERVICES, NS, service('a', { clusterIP: '10.96.0.50' }));
    await storeDirectly('b', { clusterIP: '10.96.0.50' });
    await storeDirectly('c', { clusterIP: '10.200.0.1' });
    const report = await repair.runOnce();
    expect(report.conflicts).toEqual([clusterIPKey('10.96.0.50')]);
    expect(report.outOfRange).toEqual([clusterIPKey('10.200.0.1')]);
    expect(events).toEqual([
      { reason: 'ClusterIPAlreadyAllocated', name: 'b', message: 'Cluster IP [IPv4]: 10.96.0.50 was assigned to multiple services; please recreate service' },
      { reason: 'ClusterIPOutOfRange', name: 'c', message: 'Cluster IP [IPv4]: 10.200.0.1 is not within the configured Service CIDR 10.96.0.0/16; please recreate service' },
    ]);
    // The record stays with its owner.
    expect((await records(f.store)).ips.get('10.96.0.50')?.name).toBe('a');
  });
});
