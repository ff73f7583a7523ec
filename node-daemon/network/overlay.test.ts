import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNetns } from './commands.ts';
import { planOverlay, VxlanOverlay, type OverlayState } from './overlay.ts';
import { canMakeNetns, makeTestNetwork, type TestNetwork } from '../../test/support/netns.ts';

const empty = (): OverlayState => ({ routes: new Map(), neighbours: new Map(), fdb: new Map() });

describe('planOverlay', () => {
  const peer = { nodeName: 'b', nodeIP: '192.168.1.12', podCIDR: '10.244.2.0/24' };

  it('adds an FDB entry, a neighbour and a route per peer', () => {
    expect(planOverlay([peer], empty(), 'vx')).toEqual({
      bridge: ['fdb append 0a:58:0a:f4:02:00 dev vx dst 192.168.1.12 self permanent'],
      ip: ['neigh replace 10.244.2.0 lladdr 0a:58:0a:f4:02:00 dev vx nud permanent', 'route replace 10.244.2.0/24 via 10.244.2.0 dev vx onlink'],
    });
  });

  it('changes nothing when the kernel already has it', () => {
    const current: OverlayState = {
      routes: new Map([['10.244.2.0/24', '10.244.2.0']]),
      neighbours: new Map([['10.244.2.0', '0a:58:0a:f4:02:00']]),
      fdb: new Map([['0a:58:0a:f4:02:00', '192.168.1.12']]),
    };
    expect(planOverlay([peer], current, 'vx')).toEqual({ ip: [], bridge: [] });
  });

  it('removes what belongs to nodes that left, and moves a node whose address changed', () => {
    const current: OverlayState = {
      routes: new Map([['10.244.2.0/24', '10.244.2.0'], ['10.244.9.0/24', '10.244.9.0']]),
      neighbours: new Map([['10.244.2.0', '0a:58:0a:f4:02:00'], ['10.244.9.0', '0a:58:0a:f4:09:00']]),
      fdb: new Map([['0a:58:0a:f4:02:00', '192.168.1.99'], ['0a:58:0a:f4:09:00', '192.168.1.19']]),
    };
    const plan = planOverlay([peer], current, 'vx');
    expect(plan.ip).toEqual(['route del 10.244.9.0/24 dev vx', 'neigh del 10.244.9.0 dev vx']);
    expect(plan.bridge).toEqual([
      'fdb del 0a:58:0a:f4:02:00 dev vx dst 192.168.1.99 self',
      'fdb del 0a:58:0a:f4:09:00 dev vx dst 192.168.1.19 self',
      'fdb append 0a:58:0a:f4:02:00 dev vx dst 192.168.1.12 self permanent',
    ]);
  });
});

const netnsOk = await canMakeNetns();
if (!netnsOk && process.env.CI === 'true') throw new Error('CI=true but this process cannot make network namespaces (root + iproute2 needed)');

describe.skipIf(!netnsOk)('VXLAN overlay between two hosts (network namespaces)', () => {
  let net: TestNetwork;
  const cidrs = ['10.244.1.0/24', '10.244.2.0/24'];
  const overlays: VxlanOverlay[] = [];

  beforeAll(async () => {
    net = await makeTestNetwork(2);
    for (const [i, host] of net.hosts.entries()) {
      // Stand-in for the pod bridge: the pod gateway address on a dummy device.
      await net.exec(host, 'ip', ['link', 'add', 'pods', 'type', 'bridge']);
      await net.exec(host, 'ip', ['addr', 'add', `10.244.${i + 1}.1/24`, 'dev', 'pods']);
      await net.exec(host, 'ip', ['link', 'set', 'pods', 'up']);
    }
  });
  afterAll(async () => {
    for (const o of overlays) await o.remove().catch(() => undefined);
    await net?.remove();
  });

  const ping = (from: number, src: string, dst: string) =>
    net.exec(net.hosts[from]!, '/bin/busybox', ['ping', '-c', '1', '-W', '2', '-I', src, dst]).then(
      () => true,
      () => false,
    );

  it('routes pod CIDRs between nodes through the VTEPs, without NAT, and forgets a node that left', async () => {
    for (const [i, host] of net.hosts.entries()) {
      overlays.push(await VxlanOverlay.open({ nodeIP: host.ip, podCIDR: cidrs[i]!, commands: inNetns(host.netns) }));
    }
    const peersOf = (i: number) => net.hosts.flatMap((h, j) => (j === i ? [] : [{ nodeName: `n${j}`, nodeIP: h.ip, podCIDR: cidrs[j]! }]));
    expect(await ping(0, '10.244.1.1', '10.244.2.1')).toBe(false);
    await Promise.all(overlays.map((o, i) => o.sync(peersOf(i))));
    expect(await ping(0, '10.244.1.1', '10.244.2.1')).toBe(true);
    expect(await ping(1, '10.244.2.1', '10.244.1.1')).toBe(true);

    // A daemon restarting on the same namespace finds the device and its entries as they are.
    const again = await VxlanOverlay.open({ nodeIP: net.hosts[0]!.ip, podCIDR: cidrs[0]!, commands: inNetns(net.hosts[0]!.netns) });
    await again.sync(peersOf(0));
    expect(await ping(0, '10.244.1.1', '10.244.2.1')).toBe(true);

    await overlays[0]!.sync([]);
    const routes = await net.exec(net.hosts[0]!, 'ip', ['-4', 'route', 'show', 'dev', 'kactus-vxlan']);
    expect(routes.stdout).not.toContain('10.244.2.0/24');
    expect(await ping(0, '10.244.1.1', '10.244.2.1')).toBe(false);
  });
});
