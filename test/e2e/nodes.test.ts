/**
 * A second node from a user's seat: `kactus up` with short node-lifecycle graces, a join token
 * from `kactus token create`, and the join line it prints run as a real `kactus node` process.
 * A pod pinned to that node runs there (its logs come back over libp2p); a wrong token is
 * refused; `kill -9` of the second daemon makes its node Unknown and its pod Failed (NodeLost).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { background, eventually, kactusBin, kubectlFor, ok, run, startKactusUp, uniqueName, type Background, type KactusServer, type Kubectl } from './harness.ts';
import { nodeContainers, removeNodeLeftovers } from './node-containers.ts';

/**
 * Seconds without heartbeats before a node is Unknown, and after that before its pods fail. The
 * daemon heartbeats every second (it did every 2 s when this was measured: a grace of 2 s flapped a
 * live node to Unknown four times in 40 s); 5 s leaves room for late beats.
 */
const GRACE_S = 5;
const EVICTION_S = 3;
/** Graces plus slack for heartbeat periods, controller ticks and a loaded machine. */
const NODE_LOST_DEADLINE_MS = (GRACE_S + EVICTION_S) * 1000 + 15_000;
const POD_DEADLINE_MS = 30_000;

const docker = dockerClient();
const enabled = dockerRequired() || (await isDockerUp(docker));
const masterNode = uniqueName('e2e-m-');
const secondNode = uniqueName('e2e-n2-');
const refusedNode = uniqueName('e2e-bad-');
let dir: string;
let up: KactusServer | undefined;
let n2: Background | undefined;
let kubectl: Kubectl;

const pinnedPod = `apiVersion: v1
kind: Pod
metadata:
  name: pinned
spec:
  nodeSelector:
    kubernetes.io/hostname: ${secondNode}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo started on n2; sleep 3600 & wait"]
`;

/** The Ready condition's status of a node (`True`, `False`, `Unknown`), or the error text. */
async function readyStatus(node: string): Promise<string> {
  const r = await kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
  return r.code === 0 ? r.stdout : r.stderr;
}

/** `kactus token create`'s join line as argv for `bin/kactus.js`, with DIR replaced by `dataDir`. */
function joinArgs(joinLine: string, dataDir: string): string[] {
  const words = joinLine.trim().split(/\s+/);
  expect(words.slice(0, 2)).toEqual(['kactus', 'node']);
  return words.slice(1).map((w) => (w === 'DIR' ? dataDir : w));
}

describe.skipIf(!enabled)('a second node joined with a token', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-nodes-'));
    up = await startKactusUp(join(dir, 'master'), {
      args: ['--node-name', masterNode, '--node-monitor-grace-period', String(GRACE_S), '--pod-eviction-timeout', String(EVICTION_S)],
    });
    kubectl = kubectlFor(up.kubeconfig, dir);
  }, 60_000);

  afterAll(async () => {
    await n2?.kill('SIGKILL');
    await up?.proc.kill('SIGKILL');
    // Killed daemons leave their containers running: remove both nodes' by label.
    await removeNodeLeftovers(docker, secondNode);
    await removeNodeLeftovers(docker, masterNode);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('token create prints a token and the join line; running that line joins the node', async () => {
    const out = ok(await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', up!.kubeconfig]));
    const [tokenLine, joinLine] = out.trimEnd().split('\n');
    expect(tokenLine).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(joinLine).toMatch(/^kactus node --data-dir DIR --join \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+\S* --token [a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(joinLine).toContain(`--token ${tokenLine}`);
    const dataDir = join(dir, 'n2');
    await mkdir(dataDir);
    n2 = background(process.execPath, [kactusBin, ...joinArgs(joinLine!, dataDir), '--name', secondNode, '--runtime', 'docker']);
    await n2.waitFor(new RegExp(`kactus: node ${secondNode} joined; peer \\w+`), 30_000);
  }, 40_000);

  it('get nodes shows both nodes Ready, labelled with their host names', async () => {
    const out = await eventually('both nodes Ready', async () => ok(await kubectl(['get', 'nodes', '-L', 'kubernetes.io/hostname'])), (o) =>
      [masterNode, secondNode].every((n) => new RegExp(`^${n}\\s+Ready\\s.*\\s${n}$`, 'm').test(o)),
    );
    expect(out).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+HOSTNAME$/m);
  });

  it('a pod with a nodeSelector runs on the second node, in a container of that node', async () => {
    expect(ok(await kubectl(['apply', '-f', '-'], pinnedPod))).toContain('pod/pinned created');
    await eventually('pinned Running', async () => (await kubectl(['get', 'pod', 'pinned', '-o', 'jsonpath={.status.phase}'])).stdout, (p) => p === 'Running', POD_DEADLINE_MS);
    expect(ok(await kubectl(['get', 'pod', 'pinned', '-o', 'jsonpath={.spec.nodeName}']))).toBe(secondNode);
    const containers = await eventually('pinned containers running', () => nodeContainers(docker, secondNode, 'pinned'), (cs) => cs.length === 2 && cs.every((c) => c.state === 'running'));
    expect(containers.map((c) => c.role).sort()).toEqual(['container', 'sandbox']);
    for (const c of containers) expect(c.scope.startsWith(`${secondNode}-`)).toBe(true);
    expect(await nodeContainers(docker, masterNode, 'pinned')).toEqual([]);
  });

  it('kubectl logs of that pod comes from the second daemon over libp2p', async () => {
    await eventually('kubectl logs pinned', async () => (await kubectl(['logs', 'pinned'])).stdout, (out) => out === 'started on n2\n');
  });

  it('a node with a wrong token is refused, exits non-zero and never appears', async () => {
    const addr = up!.proc.text.match(/kactus: mesh listening on (\S+)/)![1]!;
    const dataDir = join(dir, 'refused');
    await mkdir(dataDir);
    const r = await run(process.execPath, [kactusBin, 'node', '--data-dir', dataDir, '--join', addr, '--token', 'abcdef.0123456789abcdef', '--name', refusedNode, '--runtime', 'docker']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/join refused.*invalid token/);
    expect(r.stdout).not.toContain('joined');
    const nodes = ok(await kubectl(['get', 'nodes', '-o', 'name']));
    expect(nodes).toContain(`node/${secondNode}`);
    expect(nodes).not.toContain(refusedNode);
  });

  it('after kill -9 of the second daemon its node becomes Unknown and its pod Failed with NodeLost', async () => {
    expect(await readyStatus(secondNode)).toBe('True');
    await n2!.kill('SIGKILL');
    await eventually('Ready condition Unknown', () => readyStatus(secondNode), (s) => s === 'Unknown', NODE_LOST_DEADLINE_MS);
    await eventually(
      'pinned Failed with NodeLost',
      async () => (await kubectl(['get', 'pod', 'pinned', '-o', 'jsonpath={.status.phase}/{.status.reason}'])).stdout,
      (s) => s === 'Failed/NodeLost',
      NODE_LOST_DEADLINE_MS,
    );
    // The master's own node keeps heartbeating.
    expect(await readyStatus(masterNode)).toBe('True');
  }, 60_000);
});
