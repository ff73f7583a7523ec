/**
 * The proxy against a real kernel: a "node" namespace with a bridge, two pods on it, and an
 * "ext" host outside the cluster; the node's FORWARD policy is DROP as Docker leaves it. Every
 * claim of README.md that concerns packets is checked here with real connections.
 */
import { randomInt } from 'node:crypto';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNetns, spawnCommand, type CommandRunner } from '../commands.ts';
import { NftApplyError } from './errors.ts';
import { forwardRuleTag } from './host-forwarding.ts';
import { kernelRequired, kernelUnavailable, NetnsLab, type ProbeResult } from './netns-lab.ts';
import { ServiceProxy } from './service-proxy.ts';
import { service, slice, type TestEndpoint } from './test-objects.ts';

const unavailable = await kernelUnavailable();
if (unavailable && kernelRequired()) throw new Error(`CI=true but the kernel tests cannot run: ${unavailable}`);
if (unavailable) console.warn(`service-proxy.kernel.test.ts: ${unavailable}; skipping the kernel tests`);

const NODE = 'node-1';
const OTHER = 'node-2';
const PORT = 8080;

describe.skipIf(unavailable)('ServiceProxy in a kernel (network namespaces)', () => {
  const lab = new NetnsLab();
  const table = `${lab.id}-proxy`;
  // One /24 per run for the node's pods, and one for the link to the outside host.
  const x = randomInt(1, 250);
  const bridgeIP = `10.244.${x}.1`;
  const podA = `10.244.${x}.2`;
  const podB = `10.244.${x}.3`;
  const nodeIP = `192.168.${x}.1`;
  const extIP = `192.168.${x}.2`;
  const vip = (n: number) => `10.96.${x}.${n}`;
  const extraA = (i: number) => `10.244.${x}.${10 + i}`;
  const extraB = (i: number) => `10.244.${x}.${20 + i}`;
  let ns: { node: string; a: string; b: string; ext: string };
  let nodeRun: CommandRunner;
  let proxy: ServiceProxy;
  let breakNextApply = false;

  const http = [{ name: 'http', port: 80, targetPort: PORT, protocol: 'TCP' }];
  const httpSlicePorts = [{ name: 'http', port: PORT, protocol: 'TCP' }];
  const backends = (a: Partial<TestEndpoint> = {}, b: Partial<TestEndpoint> = {}): TestEndpoint[] => [
    { ip: podA, node: NODE, ...a },
    { ip: podB, node: NODE, ...b },
  ];
  const sync = (services: Service[], endpointSlices: EndpointSlice[]) => proxy.sync({ services, endpointSlices });
  /** Every probe answered; each answer as who answered, whom it saw, where it was reached. */
  const answered = (results: ProbeResult[]) => {
    expect(results.filter((r) => !r.answer)).toEqual([]);
    return results.map((r) => {
      const [name, client, local] = r.answer!.split(' ');
      return { name: name!, client: client!, local };
    });
  };
  type Answer = ReturnType<typeof answered>[number];
  const names = (answers: Answer[]) => new Set(answers.map((a) => a.name));
  /** "name client" pairs: which backend answered and what source address it saw. */
  const seen = (answers: Answer[]) => new Set(answers.map((a) => `${a.name} ${a.client}`));

  beforeAll(async () => {
    ns = { node: await lab.netns('node'), a: await lab.netns('poda'), b: await lab.netns('podb'), ext: await lab.netns('ext') };
    await lab.ip(ns.node, 'link', 'add', 'br0', 'type', 'bridge');
    await lab.ip(ns.node, 'addr', 'add', `${bridgeIP}/24`, 'dev', 'br0');
    await lab.ip(ns.node, 'link', 'set', 'br0', 'up');
    for (const [pod, ip, hostIf] of [[ns.a, podA, 'vetha'], [ns.b, podB, 'vethb']] as const) {
      await lab.veth(ns.node, hostIf, pod, 'eth0', { b: `${ip}/24` });
      await lab.ip(ns.node, 'link', 'set', hostIf, 'master', 'br0');
      // As the pod network must (kubelet's hairpin-veth mode): with bridge netfilter, a packet
      // DNATed back to the pod that sent it leaves through the bridge port it came in on.
      await lab.ip(ns.node, 'link', 'set', hostIf, 'type', 'bridge_slave', 'hairpin', 'on');
      await lab.ip(pod, 'route', 'add', 'default', 'via', bridgeIP);
    }
    // More endpoints than pods: extra addresses on each pod (.1x on podA, .2x on podB).
    for (let i = 0; i < 5; i++) {
      await lab.ip(ns.a, 'addr', 'add', `${extraA(i)}/24`, 'dev', 'eth0');
      await lab.ip(ns.b, 'addr', 'add', `${extraB(i)}/24`, 'dev', 'eth0');
    }
    await lab.veth(ns.node, 'ext0', ns.ext, 'eth0', { a: `${nodeIP}/24`, b: `${extIP}/24` });
    // The node routes what it does not know (ClusterIPs without endpoints included) outwards.
    await lab.ip(ns.node, 'route', 'add', 'default', 'via', extIP);
    nodeRun = inNetns(ns.node);
    // As a fresh host with Docker: no forwarding yet, FORWARD drops.
    for (const argv of [['sysctl', '-w', 'net.ipv4.ip_forward=0'], ['iptables', '-w', '-P', 'FORWARD', 'DROP']]) {
      expect((await nodeRun(argv)).exitCode).toBe(0);
    }
    await lab.echoServer(ns.a, 'podA', PORT);
    await lab.echoServer(ns.b, 'podB', PORT);
    await lab.echoServer(ns.ext, 'ext', PORT);

    // The proxy's commands run in the node namespace; tests can make one apply fail for real.
    const run: CommandRunner = (argv, stdin) => {
      if (breakNextApply && argv.includes('nft') && argv.includes('-f')) {
        breakNextApply = false;
        stdin = `${stdin}\nthis is not nft syntax\n`;
      }
      return nodeRun(argv, stdin);
    };
    proxy = new ServiceProxy({ table, nodeName: NODE, clusterCIDR: '10.244.0.0/16', podCIDR: `10.244.${x}.0/24`, run });
  });

  afterAll(async () => {
    await proxy?.close().catch(() => {});
    await lab.cleanup();
    expect(await lab.leftovers()).toEqual([]);
  });

  it('prepares the host: forwarding on, accept rules in DOCKER-USER tagged with the table', async () => {
    await sync([], []);
    expect((await nodeRun(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
    expect((await nodeRun(['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'])).stdout.trim()).toBe('1');
    const rules = (await nodeRun(['iptables', '-S'])).stdout;
    const ours = rules.split('\n').filter((l) => l.includes(forwardRuleTag(table)));
    expect(ours).toHaveLength(5); // FORWARD → DOCKER-USER, and four accepts
    expect(ours.some((l) => l.startsWith('-A FORWARD') && l.endsWith('-j DOCKER-USER'))).toBe(true);
    expect(ours.some((l) => l.includes('-s 10.244.0.0/16'))).toBe(true);
    expect(ours.some((l) => l.includes('-d 10.244.0.0/16'))).toBe(true);
    expect(ours.some((l) => l.includes('RELATED,ESTABLISHED'))).toBe(true);
    expect(proxy.metrics.syncs).toBe(1);
  });

  it('balances a ClusterIP over both ready endpoints; pod sources are not masqueraded', async () => {
    await sync([service('web', vip(10), http)], [slice('web', httpSlicePorts, backends())]);
    const results = answered(await lab.probe(ns.b, 'tcp', vip(10), 80, 40));
    expect(names(results)).toEqual(new Set(['podA', 'podB']));
    // podA saw podB's own address (no NAT between pods).
    expect(results.find((r) => r.name === 'podA')!.client).toBe(podB);
  });

  it('equal weights: three endpoints each take about a third of the connections', async () => {
    const eps = [podA, extraA(0), podB];
    await sync([service('web', vip(10), http)], [slice('web', httpSlicePorts, eps.map((ip) => ({ ip, node: NODE })))]);
    const results = answered(await lab.probe(ns.node, 'tcp', vip(10), 80, 300));
    const counts = eps.map((ip) => results.filter((r) => r.local === ip).length);
    // 100 expected each (σ ≈ 8): outside 60..140 is a bias, not luck (p < 1e-6).
    for (const c of counts) expect(c, `per endpoint: ${counts.join(', ')}`).toBeGreaterThan(60);
    for (const c of counts) expect(c, `per endpoint: ${counts.join(', ')}`).toBeLessThan(140);
  });

  it('more endpoints than the cascade takes: the numgen vmap reaches every one', async () => {
    const eps = [0, 1, 2, 3, 4].flatMap((i) => [extraA(i), extraB(i)]);
    await sync([service('wide', vip(18), http)], [slice('wide', httpSlicePorts, eps.map((ip) => ({ ip, node: NODE })))]);
    expect((await nodeRun(['nft', 'list', 'chain', 'ip', table, 'svc-default/wide/tcp/http'])).stdout).toContain('numgen random mod 10 vmap');
    // From the node: a pod client would be one of these endpoints under another address,
    // which hairpin detection (source = endpoint IP) cannot see — pods have one IP each.
    const results = answered(await lab.probe(ns.node, 'tcp', vip(18), 80, 200));
    expect(new Set(results.map((r) => r.local))).toEqual(new Set(eps));
  });

  it('hairpin: a pod reaches itself through its service (masqueraded to the node)', async () => {
    await sync([service('solo', vip(11), http)], [slice('solo', httpSlicePorts, [{ ip: podA, node: NODE }])]);
    expect(seen(answered(await lab.probe(ns.a, 'tcp', vip(11), 80, 5)))).toEqual(new Set([`podA ${bridgeIP}`]));
  });

  it('the node itself reaches a ClusterIP (output hook), masqueraded', async () => {
    await sync([service('solo', vip(11), http)], [slice('solo', httpSlicePorts, [{ ip: podA, node: NODE }])]);
    expect(seen(answered(await lab.probe(ns.node, 'tcp', vip(11), 80, 3)))).toEqual(new Set([`podA ${bridgeIP}`]));
  });

  it('NodePort from outside the cluster: both endpoints, client masqueraded', async () => {
    await sync([service('np', vip(12), [{ ...http[0]!, nodePort: 30080 }], { type: 'NodePort' })], [slice('np', httpSlicePorts, backends())]);
    const results = answered(await lab.probe(ns.ext, 'tcp', nodeIP, 30080, 40));
    expect(names(results)).toEqual(new Set(['podA', 'podB']));
    expect(new Set(results.map((r) => r.client))).toEqual(new Set([bridgeIP]));
  });

  it('externalTrafficPolicy Local: only this node\'s endpoints, client address kept', async () => {
    await sync(
      [service('np', vip(12), [{ ...http[0]!, nodePort: 30080 }], { type: 'NodePort', externalTrafficPolicy: 'Local' })],
      [slice('np', httpSlicePorts, backends({}, { node: OTHER }))],
    );
    expect(seen(answered(await lab.probe(ns.ext, 'tcp', nodeIP, 30080, 20)))).toEqual(new Set([`podA ${extIP}`]));
  });

  it('internalTrafficPolicy Local: the ClusterIP uses only this node\'s endpoints', async () => {
    await sync([service('web', vip(10), http, { internalTrafficPolicy: 'Local' })], [slice('web', httpSlicePorts, backends({}, { node: OTHER }))]);
    const results = answered(await lab.probe(ns.b, 'tcp', vip(10), 80, 20));
    expect(names(results)).toEqual(new Set(['podA']));
  });

  it('no endpoints: TCP and UDP are refused at once (ClusterIP and NodePort), not left to time out', async () => {
    await sync(
      [
        service('empty', vip(13), http),
        service('empty-udp', vip(14), [{ name: 'dns', port: 53, protocol: 'UDP' }]),
        service('empty-np', vip(15), [{ ...http[0]!, nodePort: 30081 }], { type: 'NodePort' }),
      ],
      [slice('empty', httpSlicePorts, [{ ip: podA, node: NODE, ready: false, serving: false }])],
    );
    for (const [from, proto, host, port] of [
      [ns.a, 'tcp', vip(13), 80],
      [ns.node, 'tcp', vip(13), 80],
      [ns.a, 'udp', vip(14), 53],
      [ns.ext, 'tcp', nodeIP, 30081],
    ] as const) {
      const [result] = await lab.probe(from, proto, host, port, 1, 5000);
      expect(result, `${proto} ${host}:${port} from ${from}`).toMatchObject({ error: 'ECONNREFUSED' });
      expect(result!.ms).toBeLessThan(1000);
    }
  });

  it('session affinity ClientIP keeps one client on one endpoint, across syncs too', async () => {
    const sticky = service('sticky', vip(16), http, { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
    const slices = [slice('sticky', httpSlicePorts, backends())];
    await sync([sticky], slices);
    const first = answered(await lab.probe(ns.b, 'tcp', vip(16), 80, 20));
    expect(names(first).size).toBe(1);
    const [pinned] = names(first);
    // Other services change: the table is rebuilt each time, the pairing is carried over (a
    // lost pairing would pick anew, and keep the same endpoint 4 times in a row 1 time in 16).
    for (let n = 0; n < 4; n++) {
      const other = service(`other${n}`, vip(20 + n), http);
      await sync([sticky, other], [...slices, slice(`other${n}`, httpSlicePorts, backends())]);
      const sets = (await nodeRun(['nft', 'list', 'sets', 'table', 'ip', table])).stdout;
      expect(sets).toMatch(new RegExp(`${podB.replaceAll('.', '\\.')} (timeout \\S+ )?expires`));
      expect(names(answered(await lab.probe(ns.b, 'tcp', vip(16), 80, 3)))).toEqual(new Set([pinned]));
    }
  });

  it('UDP service: datagrams are balanced over both endpoints', async () => {
    const dns = [{ name: 'dns', port: 53, targetPort: PORT, protocol: 'UDP' }];
    await sync([service('dns', vip(17), dns)], [slice('dns', [{ name: 'dns', port: PORT, protocol: 'UDP' }], backends())]);
    const results = answered(await lab.probe(ns.b, 'udp', vip(17), 53, 40));
    expect(names(results)).toEqual(new Set(['podA', 'podB']));
  });

  it('an endpoint removed by an update is no longer used', async () => {
    await sync([service('web', vip(10), http)], [slice('web', httpSlicePorts, backends())]);
    expect(names(answered(await lab.probe(ns.a, 'tcp', vip(10), 80, 40)))).toEqual(new Set(['podA', 'podB']));
    await sync([service('web', vip(10), http)], [slice('web', httpSlicePorts, backends({}, { ready: false, serving: false }))]);
    expect(names(answered(await lab.probe(ns.a, 'tcp', vip(10), 80, 30)))).toEqual(new Set(['podA']));
  });

  it('pods leaving the cluster are masqueraded; pod to pod is not', async () => {
    await sync([], []);
    expect(seen(answered(await lab.probe(ns.a, 'tcp', extIP, PORT)))).toEqual(new Set([`ext ${nodeIP}`]));
    expect(seen(answered(await lab.probe(ns.a, 'tcp', podB, PORT)))).toEqual(new Set([`podB ${podA}`]));
  });

  it('a failed apply keeps the previous table in force; the next sync applies again', async () => {
    await sync([service('web', vip(10), http)], [slice('web', httpSlicePorts, backends())]);
    const failuresBefore = proxy.metrics.failures;
    breakNextApply = true;
    const failed = sync([service('web', vip(10), http)], [slice('web', httpSlicePorts, [{ ip: podA, node: NODE }])]);
    await expect(failed).rejects.toBeInstanceOf(NftApplyError);
    await expect(failed).rejects.toThrow(/syntax error/);
    expect(proxy.metrics.failures).toBe(failuresBefore + 1);
    // Still the old rules: both backends.
    expect(names(answered(await lab.probe(ns.b, 'tcp', vip(10), 80, 40)))).toEqual(new Set(['podA', 'podB']));
    await sync([service('web', vip(10), http)], [slice('web', httpSlicePorts, [{ ip: podA, node: NODE }])]);
    expect(names(answered(await lab.probe(ns.b, 'tcp', vip(10), 80, 20)))).toEqual(new Set(['podA']));
    expect(proxy.metrics.lastError).toBeUndefined();
  });

  it('close() leaves no table and no rule of ours, and the host namespace never had any', async () => {
    await proxy.close();
    const tables = (await nodeRun(['nft', 'list', 'tables'])).stdout;
    expect(tables).not.toContain(table);
    expect((await nodeRun(['iptables', '-S'])).stdout).not.toContain(forwardRuleTag(table));
    // We made DOCKER-USER (no Docker in this namespace), so it went with our rules.
    expect((await nodeRun(['iptables', '-S', 'DOCKER-USER'])).exitCode).not.toBe(0);
    expect((await spawnCommand(['nft', 'list', 'tables'])).stdout).not.toContain(lab.id);
    // Traffic to the service now goes nowhere the proxy sends it.
    const [result] = await lab.probe(ns.b, 'tcp', vip(10), 80, 1, 500);
    expect(result!.answer).toBeUndefined();
  });
});
