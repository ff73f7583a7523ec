import { describe, expect, it } from 'vitest';
import { ClusterDnsRecords } from './records.ts';
import { clusterIPService, endpointSlice, headlessService, testCluster } from './test-cluster.ts';

const ZONE = 'default.svc.cluster.local';
const addresses = (records: ClusterDnsRecords, name: string): readonly string[] | undefined => records.lookup(name)?.a;

describe('ClusterDnsRecords', () => {
  it('update rebuilds only what changed: nothing for the same lists, one Service for one change', () => {
    const records = new ClusterDnsRecords();
    const { services, slices } = testCluster();
    expect(records.update(services, slices)).toEqual({ rebuilt: services.length, removed: 0 });
    // Same objects, then equal copies (same uid and resourceVersion, as a relist returns them).
    expect(records.update(services, slices)).toEqual({ rebuilt: 0, removed: 0 });
    expect(records.update(structuredClone(services), structuredClone(slices))).toEqual({ rebuilt: 0, removed: 0 });

    const changed = services.map((service) =>
      service.metadata?.name === 'kubernetes' && service.metadata.namespace === 'default'
        ? clusterIPService('default', 'kubernetes', ['10.96.0.2'], [{ name: 'https', port: 443 }], '2')
        : service,
    );
    expect(records.update(changed, slices)).toEqual({ rebuilt: 1, removed: 0 });
    expect(addresses(records, `kubernetes.${ZONE}`)).toEqual(['10.96.0.2']);
    expect(records.lookupPtr('1.0.96.10.in-addr.arpa')).toBeUndefined();
    expect(records.lookupPtr('2.0.96.10.in-addr.arpa')).toEqual([`kubernetes.${ZONE}`]);
  });

  it('update rebuilds the Service of a changed slice, and removes what is gone', () => {
    const records = new ClusterDnsRecords();
    const { services, slices } = testCluster();
    records.update(services, slices);
    const scaled = slices.map((slice) =>
      slice.metadata?.name === 'db-abc'
        ? endpointSlice('default', 'db-abc', 'db', [{ ip: '10.244.1.10', hostname: 'db-0' }, { ip: '10.244.4.14', hostname: 'db-3' }], [{ name: 'pg', port: 5432 }], { resourceVersion: '2' })
        : slice,
    );
    expect(records.update(services, scaled)).toEqual({ rebuilt: 1, removed: 0 });
    expect(addresses(records, `db.${ZONE}`)).toEqual(['10.244.1.10', '10.244.4.14']);
    expect(addresses(records, `db-1.db.${ZONE}`)).toBeUndefined();
    expect(addresses(records, `db-3.db.${ZONE}`)).toEqual(['10.244.4.14']);
    expect(records.lookupPtr('11.2.244.10.in-addr.arpa')).toBeUndefined();

    const withoutDb = services.filter((service) => service.metadata?.name !== 'db');
    expect(records.update(withoutDb, scaled)).toEqual({ rebuilt: 0, removed: 1 });
    expect(records.lookup(`db.${ZONE}`)).toBeUndefined();
    expect(records.lookup(`db-0.db.${ZONE}`)).toBeUndefined();
    expect(records.lookupPtr('10.1.244.10.in-addr.arpa')).toBeUndefined();

    expect(records.update([], [])).toEqual({ rebuilt: 0, removed: withoutDb.length });
    expect(records.serviceCount).toBe(0);
    expect(records.hasNamespace('default')).toBe(false);
  });

  it('applies single changes: a slice before its Service, a slice moving between Services, deletes', () => {
    const records = new ClusterDnsRecords();
    records.upsertEndpointSlice(endpointSlice('ns', 'a-1', 'a', [{ ip: '10.244.0.5', hostname: 'h' }], []));
    expect(records.lookup(`a.ns.svc.cluster.local`)).toBeUndefined();
    records.upsertService(headlessService('ns', 'a', []));
    records.upsertService(headlessService('ns', 'b', []));
    expect(addresses(records, 'a.ns.svc.cluster.local')).toEqual(['10.244.0.5']);
    expect(records.lookup('b.ns.svc.cluster.local')).toBeUndefined();
    expect(records.hasNamespace('ns')).toBe(true);

    // The EndpointSlice controller relabels nothing in practice, but a changed label must move the endpoints.
    records.upsertEndpointSlice(endpointSlice('ns', 'a-1', 'b', [{ ip: '10.244.0.5', hostname: 'h' }], [], { resourceVersion: '2' }));
    expect(records.lookup('a.ns.svc.cluster.local')).toBeUndefined();
    expect(addresses(records, 'h.b.ns.svc.cluster.local')).toEqual(['10.244.0.5']);
    expect(records.lookupPtr('5.0.244.10.in-addr.arpa')).toEqual(['h.b.ns.svc.cluster.local']);

    records.deleteEndpointSlice('ns', 'a-1');
    expect(records.lookup('b.ns.svc.cluster.local')).toBeUndefined();
    expect(records.lookupPtr('5.0.244.10.in-addr.arpa')).toBeUndefined();
    records.deleteService('ns', 'a');
    records.deleteService('ns', 'b');
    expect(records.hasNamespace('ns')).toBe(false);
    expect(records.serviceCount).toBe(0);
  });

  it('keeps a PTR shared by two Services until both are gone; a ClusterIP PTR wins over endpoints', () => {
    const records = new ClusterDnsRecords();
    const pod = { ip: '10.244.0.7', hostname: 'p' };
    records.update(
      [headlessService('ns', 'one', []), headlessService('ns', 'two', [])],
      [endpointSlice('ns', 'one-x', 'one', [pod], []), endpointSlice('ns', 'two-x', 'two', [pod], [])],
    );
    expect(records.lookupPtr('7.0.244.10.in-addr.arpa')?.sort()).toEqual(['p.one.ns.svc.cluster.local', 'p.two.ns.svc.cluster.local']);
    records.deleteService('ns', 'one');
    expect(records.lookupPtr('7.0.244.10.in-addr.arpa')).toEqual(['p.two.ns.svc.cluster.local']);

    // An address that is both a ClusterIP and an endpoint (unusual, but possible with hand-made slices).
    records.upsertService(clusterIPService('ns', 'vip', ['10.244.0.7'], [{ port: 80 }]));
    expect(records.lookupPtr('7.0.244.10.in-addr.arpa')).toEqual(['vip.ns.svc.cluster.local']);
  });

  it('moves the SOA serial to the time of the last change, and only on a change', () => {
    let now = 1_000_000_000_000;
    const records = new ClusterDnsRecords({ now: () => now });
    expect(records.serial).toBe(1_000_000_000);
    now += 7000;
    const { services, slices } = testCluster();
    records.update(services, slices);
    expect(records.serial).toBe(1_000_000_007);
    now += 5000;
    records.update(services, slices);
    records.upsertService(services[0]!);
    expect(records.serial).toBe(1_000_000_007);
  });
});
