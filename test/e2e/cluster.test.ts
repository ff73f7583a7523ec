/**
 * The whole thing from a user's seat: `kactus up` as a real process (store, master and a node
 * daemon running pods as real Docker containers), driven by the real kubectl and by the kactus
 * CLI; then `kill -9` and a restart from the same data dir, where everything acknowledged must
 * still be there, the old kubeconfig (CA, token) must still work and the running pod's containers
 * must be adopted, not duplicated.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { background, eventually, kactusBin, kubectlFor, ok, run, startKactusUp, uniqueName, type KactusServer, type Kubectl, type RunResult } from './harness.ts';
import { nodeContainers, removeNodeLeftovers, type PodContainer } from './node-containers.ts';

/** Prints a line to its log, then waits; exits at once on SIGTERM so graceful deletion is quick. */
const COMMAND = `["sh", "-c", "trap 'exit 0' TERM; echo started; sleep 3600 & wait"]`;

/**
 * The app pod's command has a `&` on purpose: the kactus-apply-after-kubectl-apply check compares
 * last-applied annotations byte for byte, and kubectl (Go's encoding/json) writes `&` as `\u0026`.
 */
const WEB_COMMAND = COMMAND;

const APP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  greeting: hello
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: web
    image: busybox
    command: ${WEB_COMMAND}
    ports:
    - containerPort: 8080
`;

const podManifest = (name: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: main
    image: busybox
    command: ${COMMAND}
`;

const NO_IMAGE = `apiVersion: v1
kind: Pod
metadata:
  name: no-image
spec:
  containers:
  - name: main
`;

const BAD_PORT = `apiVersion: v1
kind: Pod
metadata:
  name: bad-port
spec:
  containers:
  - name: main
    image: busybox
    ports:
    - containerPort: abc
`;

/** Pods start in about a second here; the deadline allows for a loaded machine. */
const POD_DEADLINE_MS = 30_000;

const docker = dockerClient();
const enabled = dockerRequired() || (await isDockerUp(docker));
const nodeName = uniqueName('e2e-');
let dir: string;
let up: KactusServer | undefined;
let savedKubeconfig: string;
let kubectl: Kubectl;

/** Our own CLI against the cluster. */
function kactus(args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [kactusBin, '--kubeconfig', join(dir, 'kubeconfig'), ...args], { input });
}

/** Waits until the pod's phase is Running. */
function podRunning(name: string): Promise<string> {
  return eventually(`pod ${name} Running`, async () => (await kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout, (p) => p === 'Running', POD_DEADLINE_MS);
}

/** Waits until Docker holds the pod's sandbox and its one container, both running, and returns them sorted by role. */
function podContainersRunning(name: string): Promise<PodContainer[]> {
  return eventually(
    `containers of pod ${name} running`,
    async () => (await nodeContainers(docker, nodeName, name)).sort((a, b) => a.role.localeCompare(b.role)),
    (cs) => cs.length === 2 && cs.every((c) => c.state === 'running'),
    POD_DEADLINE_MS,
  );
}

/** Waits until Docker holds no container of the pod (in this test's node scope). */
function podContainersGone(name: string): Promise<PodContainer[]> {
  return eventually(`containers of pod ${name} removed`, () => nodeContainers(docker, nodeName, name), (cs) => cs.length === 0, POD_DEADLINE_MS);
}

describe.skipIf(!enabled)('kactus up with a Docker node', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-e2e-'));
    kubectl = kubectlFor(join(dir, 'kubeconfig'), dir);
    await writeFile(join(dir, 'app.yaml'), APP);
    up = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName] });
    // The test drives everything through the kubeconfig `up` wrote; keep it where kubectl() looks.
    await copyFile(up.kubeconfig, join(dir, 'kubeconfig'));
    savedKubeconfig = await readFile(up.kubeconfig, 'utf8');
  }, 60_000);

  afterAll(async () => {
    await up?.proc.kill('SIGKILL');
    // The daemon leaves containers running when killed: remove this run's, whatever happened.
    await removeNodeLeftovers(docker, nodeName);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('kactus up', () => {
    it('prints its URL and mesh address, writes a kubeconfig with the CA and token, and joins its Docker node', async () => {
      expect(up!.url).toBe(`https://127.0.0.1:${up!.port}`);
      expect(up!.kubeconfig).toBe(join(dir, 'data', 'kubeconfig'));
      const cfg = parse(savedKubeconfig) as {
        'current-context': string;
        clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
        users: { name: string; user: { token: string } }[];
      };
      expect(cfg['current-context']).toBe('kactus');
      expect(cfg.clusters[0]!.cluster.server).toBe(up!.url);
      expect(Buffer.from(cfg.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString()).toContain('BEGIN CERTIFICATE');
      expect(cfg.users[0]!.user.token.length).toBeGreaterThan(16);
      expect(up!.proc.text).toMatch(/^kactus: mesh listening on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+/m);
      expect(up!.proc.text).toMatch(/^kactus: container runtime: docker /m);
      expect(up!.proc.text).toContain(`kactus: node ${nodeName} joined; runtime docker`);
      expect(up!.proc.text).toContain(`export KUBECONFIG=${join(dir, 'data', 'kubeconfig')}`);
    });
  });

  describe('kubectl against kactus up', () => {
    it('get ns lists default and kube-system; get nodes lists the local node Ready', async () => {
      const out = ok(await kubectl(['get', 'ns']));
      expect(out).toMatch(/^NAME\s+STATUS\s+AGE/m);
      expect(out).toMatch(/^default\s+Active\s/m);
      expect(out).toMatch(/^kube-system\s+Active\s/m);
      expect(ok(await kubectl(['get', 'nodes']))).toMatch(new RegExp(`^${nodeName}\\s+Ready\\s`, 'm'));
    });

    it('apply creates a ConfigMap and a Pod; both are stored and listed', async () => {
      const out = ok(await kubectl(['apply', '-f', join(dir, 'app.yaml')]));
      expect(out).toContain('configmap/app-config created');
      expect(out).toContain('pod/web created');
      expect(ok(await kubectl(['get', 'configmap', 'app-config', '-o', 'jsonpath={.data.greeting}']))).toBe('hello');
      const pods = ok(await kubectl(['get', 'pods']));
      expect(pods).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/m);
      expect(pods).toMatch(/^web\s+[01]\/1\s+\S+\s+0\s+/m);
    });

    it('the pod is scheduled to the node and reaches Running, as a sandbox and a container in Docker', async () => {
      await podRunning('web');
      expect(ok(await kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.spec.nodeName}']))).toBe(nodeName);
      expect(ok(await kubectl(['get', 'pods']))).toMatch(/^web\s+1\/1\s+Running\s+0\s+/m);
      const [container, sandbox] = await podContainersRunning('web');
      expect(sandbox!.role).toBe('sandbox');
      expect(container!.role).toBe('container');
      expect(container!.containerName).toBe('web');
      expect(container!.scope.startsWith(`${nodeName}-`)).toBe(true);
      expect(ok(await kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.containerStatuses[0].containerID}']))).toBe(`docker://${container!.id}`);
    });

    it('logs prints what the container wrote', async () => {
      await eventually('kubectl logs web', async () => (await kubectl(['logs', 'web'])).stdout, (out) => out === 'started\n');
    });

    it('exec runs commands in the container: output, stderr and exit code, stdin', async () => {
      expect(ok(await kubectl(['exec', 'web', '--', 'hostname']))).toBe('web\n');
      expect(ok(await kubectl(['exec', 'web', '--', 'cat', '/proc/1/cmdline']))).toContain('sleep 3600');
      const failed = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(failed).toMatchObject({ code: 3, stdout: 'out\n' });
      expect(failed.stderr).toContain('err');
      expect(ok(await kubectl(['exec', '-i', 'web', '--', 'sh', '-c', 'cat > /tmp/in; wc -c < /tmp/in'], 'x'.repeat(100_000)))).toBe('100000\n');
    });

    it('cp copies a file into the container and back out (tar through exec)', async () => {
      const text = 'copied by kubectl cp\n'.repeat(1000);
      await writeFile(join(dir, 'to-pod.txt'), text);
      ok(await kubectl(['cp', join(dir, 'to-pod.txt'), 'web:/tmp/in-pod.txt']));
      expect(ok(await kubectl(['exec', 'web', '--', 'md5sum', '/tmp/in-pod.txt']))).toContain(createHash('md5').update(text).digest('hex'));
      ok(await kubectl(['cp', 'web:/tmp/in-pod.txt', join(dir, 'from-pod.txt')]));
      expect(await readFile(join(dir, 'from-pod.txt'), 'utf8')).toBe(text);
    });

    it('describe pod shows the container Running and the Scheduled and Started events', async () => {
      const out = await eventually('Started event', async () => ok(await kubectl(['describe', 'pod', 'web'])), (o) => /^\s+Normal\s+Started\s/m.test(o));
      expect(out).toMatch(new RegExp(`^Node:\\s+${nodeName}/`, 'm'));
      expect(out).toMatch(/^Status:\s+Running$/m);
      expect(out).toMatch(/^ {4}State:\s+Running$/m);
      expect(out).toMatch(/^ {4}Ready:\s+True$/m);
      expect(out).toMatch(/^ {4}Restart Count:\s+0$/m);
      expect(out).toMatch(new RegExp(`^\\s+Normal\\s+Scheduled\\s+.*Successfully assigned default/web to ${nodeName}$`, 'm'));
      expect(out).toMatch(/^\s+Normal\s+Started\s+.*Started container web$/m);
    });

    it('apply again is unchanged; a changed manifest is configured', async () => {
      const again = ok(await kubectl(['apply', '-f', join(dir, 'app.yaml')]));
      expect(again).toContain('configmap/app-config unchanged');
      expect(again).toContain('pod/web unchanged');
      const changed = APP.replace('greeting: hello', 'greeting: hello again');
      expect(ok(await kubectl(['apply', '-f', '-'], changed))).toContain('configmap/app-config configured');
      expect(ok(await kubectl(['get', 'cm', 'app-config', '-o', 'jsonpath={.data.greeting}']))).toBe('hello again');
    });

    it('get pods -w prints the row of a pod created while it watches, then its Running row', async () => {
      const watch = background('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'kubectl-cache'), 'get', 'pods', '-w']);
      try {
        await watch.waitFor(/^web\s/m);
        ok(await kubectl(['apply', '-f', '-'], podManifest('watched')));
        await watch.waitFor(/^watched\s+0\/1\s+Pending/m);
        await watch.waitFor(/^watched\s+1\/1\s+Running/m, POD_DEADLINE_MS);
      } finally {
        await watch.kill();
      }
    });

    it('rejects a container without an image, naming the field, and stores nothing', async () => {
      const r = await kubectl(['apply', '-f', '-'], NO_IMAGE);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('spec.containers[0].image');
      const get = await kubectl(['get', 'pod', 'no-image']);
      expect(get.code).not.toBe(0);
      expect(get.stderr).toContain('Error from server (NotFound): pods "no-image" not found');
    });

    it('rejects containerPort "abc", naming the field, and stores nothing', async () => {
      const r = await kubectl(['apply', '-f', '-'], BAD_PORT);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/containerPort/);
      expect((await kubectl(['get', 'pod', 'bad-port'])).stderr).toContain('pods "bad-port" not found');
    });

    it('delete removes a pod and its containers', async () => {
      const before = await podContainersRunning('watched');
      expect(ok(await kubectl(['delete', 'pod', 'watched']))).toContain('pod "watched" deleted');
      expect((await kubectl(['get', 'pod', 'watched'])).stderr).toContain('pods "watched" not found');
      await podContainersGone('watched');
      const left = (await docker.listContainers({ all: true })).map((c) => c.Id);
      for (const c of before) expect(left).not.toContain(c.id);
    });
  });

  describe('the kactus CLI against kactus up', () => {
    it('version prints client and server versions', async () => {
      const out = ok(await kactus(['version']));
      expect(out).toMatch(/^Client Version: v\d+\.\d+\.\d+$/m);
      expect(out).toMatch(/^Server Version: v\d+\.\d+\.\d+/m);
    });

    it('apply creates, leaves unchanged, and configures', async () => {
      const cm = (value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cli-config\ndata:\n  k: ${value}\n`;
      expect(ok(await kactus(['apply', '-f', '-'], cm('one')))).toBe('configmap/cli-config created\n');
      expect(ok(await kactus(['apply', '-f', '-'], cm('one')))).toBe('configmap/cli-config unchanged\n');
      expect(ok(await kactus(['apply', '-f', '-'], cm('two')))).toBe('configmap/cli-config configured\n');
      expect(ok(await kubectl(['get', 'cm', 'cli-config', '-o', 'jsonpath={.data.k}']))).toBe('two');
      // kubectl sees our last-applied annotation as its own: its apply finds nothing to change.
      expect(ok(await kubectl(['apply', '-f', '-'], cm('two')))).toContain('configmap/cli-config unchanged');
    });

    it('apply of what kubectl applied is unchanged (server defaults and status of the running pod are not a change)', async () => {
      const changed = APP.replace('greeting: hello', 'greeting: hello again');
      expect(ok(await kactus(['apply', '-f', '-'], changed))).toBe('configmap/app-config unchanged\npod/web unchanged\n');
    });

    it('get prints aligned tables, with -A a NAMESPACE column, and object formats', async () => {
      const ns = ok(await kactus(['get', 'ns']));
      expect(ns).toMatch(/^NAME {2,}STATUS {3}AGE$/m);
      expect(ns).toMatch(/^kube-node-lease {3}Active {3}\S+$/m);
      expect(ns).toMatch(/^kube-system {7}Active {3}\S+$/m);
      const all = ok(await kactus(['get', 'configmaps', '-A']));
      expect(all).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE$/m);
      expect(all).toMatch(/^default\s+cli-config\s+1\s+\S+$/m);
      const pods = ok(await kactus(['get', 'po', '-o', 'wide']));
      expect(pods).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/m);
      expect(pods).toMatch(new RegExp(`^web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+\\S+\\s+${nodeName}\\s`, 'm'));
      expect(ok(await kactus(['get', 'pod/web', '-o', 'name']))).toBe('pod/web\n');
      const yaml = parse(ok(await kactus(['get', 'pod', 'web', '-o', 'yaml']))) as { kind: string; metadata: { name: string } };
      expect(yaml.kind).toBe('Pod');
      expect(yaml.metadata.name).toBe('web');
      const list = JSON.parse(ok(await kactus(['get', 'cm', '-l', 'nothing=here', '-o', 'json']))) as { items?: unknown[] };
      expect(list.items ?? []).toEqual([]);
    });

    it('describe pod shows its status, containers and events', async () => {
      const out = ok(await kactus(['describe', 'pod', 'web']));
      expect(out).toMatch(/^Name:\s+web$/m);
      expect(out).toMatch(/^Namespace:\s+default$/m);
      expect(out).toMatch(/^Labels:\s+app=web$/m);
      expect(out).toMatch(/^Status:\s+Running$/m);
      expect(out).toMatch(/^Containers:\n {2}web:\n {4}Container ID:\s+docker:\/\/[0-9a-f]{64}\n {4}Image:\s+busybox$/m);
      expect(out).toMatch(/^ {4}Port:\s+8080\/TCP$/m);
      expect(out).toMatch(/^ {4}State:\s+Running$/m);
      expect(out).toMatch(/^ {4}Ready:\s+True$/m);
      expect(out).toMatch(/^ {4}Restart Count:\s+0$/m);
      expect(out).toMatch(/^Events:/m);
      expect(out).toMatch(/^\s+Normal\s+Scheduled\s/m);
      expect(out).toMatch(/^\s+Normal\s+Started\s/m);
    });

    it('logs prints what the container wrote', async () => {
      expect(ok(await kactus(['logs', 'web']))).toBe('started\n');
    });

    it('errors read like kubectl and exit 1', async () => {
      const r = await kactus(['get', 'pod', 'nope']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
      const bad = await kactus(['apply', '-f', '-'], NO_IMAGE);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^Error from server \(Invalid\): error when creating "STDIN": .*spec\.containers\[0\]\.image/m);
      const unknown = await kactus(['get', 'frobnicators']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('the server doesn\'t have a resource type "frobnicators"');
    });

    it('get -w prints the row of a pod created while it watches', async () => {
      const watch = background(process.execPath, [kactusBin, '--kubeconfig', join(dir, 'kubeconfig'), 'get', 'pods', '-w']);
      try {
        await watch.waitFor(/^web\s/m);
        ok(await kactus(['apply', '-f', '-'], podManifest('cli-watched')));
        await watch.waitFor(/^cli-watched\s+0\/1\s+Pending/m);
        await watch.waitFor(/^cli-watched\s+1\/1\s+Running/m, POD_DEADLINE_MS);
      } finally {
        await watch.kill();
      }
    });

    it('delete removes objects by name and by file, and the pod\'s containers', async () => {
      expect(ok(await kactus(['delete', 'cm', 'cli-config']))).toBe('configmap "cli-config" deleted\n');
      expect((await kactus(['get', 'cm', 'cli-config'])).code).toBe(1);
      expect(ok(await kactus(['delete', '-f', '-'], podManifest('cli-watched')))).toBe('pod "cli-watched" deleted\n');
      expect((await kactus(['get', 'pod', 'cli-watched'])).stderr).toContain('pods "cli-watched" not found');
      await podContainersGone('cli-watched');
    });
  });

  describe('restart after kill -9', () => {
    it('keeps every acknowledged object; the old kubeconfig and CA still work; the running pod is adopted, not restarted', async () => {
      const before = await podContainersRunning('web');
      const port = up!.port;
      await up!.proc.kill('SIGKILL');
      up = await startKactusUp(join(dir, 'data'), { port, args: ['--node-name', nodeName] });
      const rewritten = parse(await readFile(up.kubeconfig, 'utf8')) as unknown;
      expect(rewritten).toEqual(parse(savedKubeconfig));
      // kubectl() still uses the copy written before the crash.
      expect(ok(await kubectl(['get', 'cm', 'app-config', '-o', 'jsonpath={.data.greeting}']))).toBe('hello again');
      expect((await kubectl(['get', 'pod', 'watched'])).stderr).toContain('not found');
      expect((await kubectl(['get', 'cm', 'cli-config'])).stderr).toContain('not found');
      expect(ok(await kubectl(['get', 'ns']))).toMatch(/^kube-system\s/m);
      // Logs are served by the restarted daemon: it holds the pod again.
      await eventually('kubectl logs web after restart', async () => (await kubectl(['logs', 'web'])).stdout, (out) => out === 'started\n');
      expect(ok(await kubectl(['get', 'pods']))).toMatch(/^web\s+1\/1\s+Running\s+0\s/m);
      const status = JSON.parse(ok(await kubectl(['get', 'pod', 'web', '-o', 'json']))) as {
        status: { phase: string; containerStatuses: { containerID: string; restartCount: number }[] };
      };
      expect(status.status.phase).toBe('Running');
      expect(status.status.containerStatuses[0]!.restartCount).toBe(0);
      expect(status.status.containerStatuses[0]!.containerID).toBe(`docker://${before[0]!.id}`);
      // The same two containers, still running, and nothing else in this node's scope.
      const after = (await nodeContainers(docker, nodeName)).sort((a, b) => a.role.localeCompare(b.role));
      expect(after.map((c) => [c.id, c.state])).toEqual(before.map((c) => [c.id, 'running']));
    }, 60_000);

    it('delete -f removes what apply -f created and the containers, and SIGTERM stops the server cleanly', async () => {
      const out = ok(await kubectl(['delete', '-f', join(dir, 'app.yaml')]));
      expect(out).toContain('configmap "app-config" deleted');
      expect(out).toContain('pod "web" deleted');
      expect(ok(await kubectl(['get', 'pods']))).toBe('');
      await eventually('no containers left for this node', () => nodeContainers(docker, nodeName), (cs) => cs.length === 0, POD_DEADLINE_MS);
      expect(await up!.proc.kill('SIGTERM')).toBe(0);
      expect(up!.proc.text).toContain('kactus: stopped');
    });
  });
});
