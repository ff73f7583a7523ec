/**
 * Two nodes as two hosts: a master in the test's own network namespace and two node daemons, each
 * in a network namespace of its own with its own Docker engine (test/support/netns.ts,
 * netns-docker.ts), joined over the mesh on a switch the test makes. Pods get addresses from their
 * node's pod CIDR; a pod on one node reaches a pod on the other by pod IP (VXLAN, no NAT), and
 * through a Service whose only endpoint is on the other node; a NodePort answers on a node's
 * address for a pod on the other node; cluster DNS answers on both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { canMakeNetns, makeTestNetwork, type TestNetwork } from '../support/netns.ts';
import { startNetnsDocker, type NetnsDocker } from '../support/netns-docker.ts';
import { background, eventually, kactusBin, kubectlFor, ok, run, startKactusServer, type Background, type KactusServer, type Kubectl } from './harness.ts';

const enabled = (await canMakeNetns()) && (dockerRequired() || (await isDockerUp()));
if (!enabled && dockerRequired()) throw new Error('CI=true: the multi-node test needs root, iproute2 and Docker');
const DEADLINE_MS = 60_000;

let dir: string;
let net: TestNetwork;
let master: KactusServer | undefined;
const engines: NetnsDocker[] = [];
const daemons: Background[] = [];
let kubectl: Kubectl;
const nodeNames = ['mn-a', 'mn-b'];

const pod = (name: string, node: string, command: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "${command}"]
    ports: [{name: http, containerPort: 8080}]
`;

async function get(resource: string, path: string): Promise<string> {
  return ok(await kubectl(['get', ...resource.split(' '), '-o', `jsonpath=${path}`]));
}

describe.skipIf(!enabled)('two nodes in two network namespaces', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(dockerClient());
    dir = await mkdtemp(join(tmpdir(), 'kactus-multinode-'));
    net = await makeTestNetwork(2);
    master = await startKactusServer([
      'master',
      '--data-dir', join(dir, 'master'),
      '--store', `embedded://${join(dir, 'master', 'store')}`,
      '--port', '0',
      '--name', 'mn-master',
      '--mesh-listen', `/ip4/${net.rootIP}/tcp/0`,
      '--cluster-cidr', net.block.clusterCIDR,
      '--service-cluster-ip-range', net.block.serviceCIDR,
    ]);
    kubectl = kubectlFor(master.kubeconfig, dir);
    const joinLine = ok(await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', master.kubeconfig])).trim().split('\n')[1]!;
    const joinAddr = /--join (\S+)/.exec(joinLine)![1]!;
    const token = /--token (\S+)/.exec(joinLine)![1]!;
    for (const [i, host] of net.hosts.entries()) {
      const engine = await startNetnsDocker(host, join(dir, `docker-${i}`));
      engines.push(engine);
      const daemon = background('nsenter', [
        `--net=/run/netns/${host.netns}`,
        process.execPath, kactusBin, 'node',
        '--data-dir', join(dir, `node-${i}`),
        '--join', joinAddr,
        '--token', token,
        '--name', nodeNames[i]!,
        '--node-ip', host.ip,
        '--docker-socket', engine.socket,
        '--runtime', 'docker',
      ]);
      daemons.push(daemon);
      await daemon.waitFor(new RegExp(`kactus: node ${nodeNames[i]} joined`), 30_000);
    }
    await eventually(
      'both nodes Ready',
      () => get('nodes', '{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}'),
      (s) => nodeNames.every((n) => s.includes(`${n}=True`)),
      DEADLINE_MS,
    );
    ok(await kubectl(['apply', '-f', '-'], pod('srv', nodeNames[1]!, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -vv -p 8080 -h /www')));
    ok(await kubectl(['apply', '-f', '-'], pod('cli', nodeNames[0]!, "trap 'exit 0' TERM; sleep 3600 & wait")));
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        'apiVersion: v1\nkind: Service\nmetadata: {name: srv}\nspec:\n  type: NodePort\n  selector: {app: srv}\n  ports: [{name: http, port: 80, targetPort: http}]\n',
      ),
    );
    for (const name of ['srv', 'cli']) await eventually(`${name} Running`, () => get(`pod ${name}`, '{.status.phase}'), (p) => p === 'Running', DEADLINE_MS);
  }, 180_000);

  afterAll(async () => {
    for (const d of daemons) await d.kill('SIGTERM');
    await master?.proc.kill('SIGTERM');
    // Each engine stops its containers; the namespaces take every link, route and nft table with them.
    for (const e of engines) await e.stop().catch(() => undefined);
    await net?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('gives each node its own pod CIDR and each pod an address of it, with hostIP the node\'s address', async () => {
    const cidrs = await Promise.all(nodeNames.map((n) => get(`node ${n}`, '{.spec.podCIDR}')));
    expect(new Set(cidrs).size).toBe(2);
    for (const [i, name] of ['cli', 'srv'].entries()) {
      const ip = await get(`pod ${name}`, '{.status.podIP}');
      expect(ip.startsWith(cidrs[i]!.replace(/0\/24$/, ''))).toBe(true);
      expect(await get(`pod ${name}`, '{.status.hostIP}')).toBe(net.hosts[i]!.ip);
    }
  });

  it('a pod on one node reaches a pod on the other by pod IP, which sees the client\'s own address', async () => {
    const srvIP = await get('pod srv', '{.status.podIP}');
    const out = ok(await kubectl(['exec', 'cli', '--', 'timeout', '5', 'wget', '-q', '-O', '-', `http://${srvIP}:8080/`]));
    expect(out.trim()).toBe('srv');
    // No NAT between pods: the server saw the client pod's own address.
    const cliIP = await get('pod cli', '{.status.podIP}');
    await eventually('the server logged the client pod address', async () => (await kubectl(['logs', 'srv'])).stdout, (log) => log.includes(cliIP));
  });

  it('reaches it through a Service whose only endpoint is on the other node, by name', async () => {
    const out = ok(await kubectl(['exec', 'cli', '--', 'sh', '-c', 'for i in 1 2 3 4 5; do timeout 5 wget -q -O - http://srv.default.svc.cluster.local/ || echo FAIL; done']));
    expect(out.trim().split('\n')).toEqual(['srv', 'srv', 'srv', 'srv', 'srv']);
  });

  it('a NodePort on the first node\'s address answers from the pod on the second node', async () => {
    const nodePort = await get('service srv', '{.spec.ports[0].nodePort}');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`http://${net.hosts[0]!.ip}:${nodePort}/`, { timeout: 5000 }, (res) => {
        let b = '';
        res.setEncoding('utf8').on('data', (c: string) => (b += c));
        res.on('end', () => resolve(b));
      });
      req.on('timeout', () => req.destroy(new Error('NodePort request timed out')));
      req.on('error', reject);
      req.end();
    });
    expect(body.trim()).toBe('srv');
  });
});
