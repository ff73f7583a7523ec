/**
 * Streams to and from running pods, from a user's seat: `kactus up` with a Docker node, the real
 * kubectl. `kubectl port-forward` to a busybox httpd pod and to a Service in front of it,
 * `kubectl attach` to a pod printing a line a second, `kubectl run -i` (attach with stdin), the
 * logs of a finished Job's pod (`kubectl logs job/NAME`) and `kubectl logs --previous` after a
 * restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { background, eventually, kubectlFor, ok, startKactusUp, uniqueName, type KactusServer, type Kubectl } from './harness.ts';
import { nodeContainers, removeNodeLeftovers } from './node-containers.ts';

const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
    - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
`;

const TICKER = `apiVersion: v1
kind: Pod
metadata:
  name: ticker
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: ticker
    image: busybox
    command: ["sh", "-c", "i=0; while :; do echo tick $i; i=$((i+1)); sleep 1; done"]
`;

const JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: echo-done
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: echo
        image: busybox
        command: ["echo", "done"]
`;

/** Counts its runs in an emptyDir, prints the count, and fails after a moment: restarted by the kubelet rules. */
const RESTARTER = `apiVersion: v1
kind: Pod
metadata:
  name: restarter
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: state
    emptyDir: {}
  containers:
  - name: main
    image: busybox
    volumeMounts:
    - name: state
      mountPath: /state
    command: ["sh", "-c", "n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo run $n; sleep 1; exit 1"]
`;

const POD_DEADLINE_MS = 30_000;

const docker = dockerClient();
const enabled = dockerRequired() || (await isDockerUp(docker));
const nodeName = uniqueName('e2e-streams-');
let dir: string;
let up: KactusServer | undefined;
let kubectl: Kubectl;

function kubectlArgs(args: string[]): string[] {
  return ['--kubeconfig', up!.kubeconfig, '--cache-dir', join(dir, 'kubectl-cache'), ...args];
}

function podPhase(name: string, phase: string): Promise<string> {
  return eventually(`pod ${name} ${phase}`, async () => (await kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout, (p) => p === phase, POD_DEADLINE_MS);
}

/** Starts `kubectl port-forward TARGET 0:PORT` and resolves with the local port it printed. */
async function portForward(target: string, port: number): Promise<{ local: number; stop: () => Promise<unknown>; text: () => string }> {
  const pf = background('kubectl', kubectlArgs(['port-forward', target, `0:${port}`]));
  const [, local] = await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> /, POD_DEADLINE_MS);
  return { local: Number(local), stop: () => pf.kill(), text: () => pf.text };
}

describe.skipIf(!enabled)('streams with a Docker node', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-e2e-streams-'));
    up = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName] });
    kubectl = kubectlFor(up.kubeconfig, dir);
  }, 60_000);

  afterAll(async () => {
    await up?.proc.kill('SIGKILL');
    await removeNodeLeftovers(docker, nodeName);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('port-forward to a pod: HTTP through it, several connections at once', async () => {
    ok(await kubectl(['apply', '-f', '-'], WEB));
    await podPhase('web', 'Running');
    const pf = await portForward('pod/web', 8080);
    try {
      const url = `http://127.0.0.1:${pf.local}/index.html`;
      // httpd may still be starting when the pod is reported Running.
      await eventually('httpd answering through the forward', () => fetch(url).then((r) => r.text(), (err: Error) => err.message), (t) => t === 'hello from web\n', POD_DEADLINE_MS);
      const texts = await Promise.all(Array.from({ length: 6 }, () => fetch(url, { headers: { Connection: 'close' } }).then((r) => r.text())));
      expect(texts).toEqual(Array(6).fill('hello from web\n'));
      expect(pf.text()).toContain('Handling connection for');
    } finally {
      await pf.stop();
    }
  }, 60_000);

  it('port-forward to a Service: kubectl picks a pod behind it and the target port', async () => {
    const pf = await portForward('svc/web', 80);
    try {
      expect(pf.text()).toMatch(/Forwarding from 127\.0\.0\.1:\d+ -> 8080/);
      expect(await (await fetch(`http://127.0.0.1:${pf.local}/index.html`)).text()).toBe('hello from web\n');
    } finally {
      await pf.stop();
    }
  }, 60_000);

  it('port-forward to a port nothing listens on: kubectl prints the error and gives up', async () => {
    const pf = await portForward('pod/web', 9999);
    await fetch(`http://127.0.0.1:${pf.local}/`).catch(() => undefined);
    const text = await eventually('the error printed', async () => pf.text().replaceAll('\\"', '"'), (t) => t.includes('lost connection to pod'), POD_DEADLINE_MS);
    expect(text).toMatch(/an error occurred forwarding \d+ -> 9999: error forwarding port 9999 to pod [0-9a-f]{64}, uid : failed to connect to localhost:9999 inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 [\d.]+:9999: connect: connection refused/);
    await pf.stop();
  }, 60_000);

  it('attach shows the lines a running pod prints', async () => {
    ok(await kubectl(['apply', '-f', '-'], TICKER));
    await podPhase('ticker', 'Running');
    const attach = background('kubectl', kubectlArgs(['attach', 'ticker']));
    try {
      const [, first] = await attach.waitFor(/tick (\d+)/, POD_DEADLINE_MS);
      // A later line arrives while attached: output from now on, as it is printed.
      await attach.waitFor(new RegExp(`tick ${Number(first) + 2}`), POD_DEADLINE_MS);
    } finally {
      await attach.kill();
    }
  }, 60_000);

  it('run -i attaches stdin: the container reads what kubectl is given', async () => {
    const r = await kubectl(['run', 'reader', '-i', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'read line; echo "got $line"'], 'hello\n');
    expect(r.stdout).toContain('got hello');
    await podPhase('reader', 'Succeeded');
  }, 60_000);

  it('logs job/NAME prints a finished Job\'s output, and -f of the finished container ends; the pod keeps no process', async () => {
    ok(await kubectl(['apply', '-f', '-'], JOB));
    await eventually('job succeeded', async () => (await kubectl(['get', 'job', 'echo-done', '-o', 'jsonpath={.status.succeeded}'])).stdout, (n) => n === '1', POD_DEADLINE_MS);
    expect(ok(await kubectl(['logs', 'job/echo-done']))).toBe('done\n');
    expect(ok(await kubectl(['logs', '-f', 'job/echo-done']))).toBe('done\n');
    // The finished pod keeps its exited container (its log) but no process: its sandbox is stopped.
    const podName = ok(await kubectl(['get', 'pods', '-l', 'job-name=echo-done', '-o', 'jsonpath={.items[0].metadata.name}']));
    const containers = await eventually(
      'the finished pod\'s sandbox stopped',
      () => nodeContainers(docker, nodeName, podName),
      (cs) => cs.length === 2 && cs.every((c) => c.state === 'exited'),
      POD_DEADLINE_MS,
    );
    expect(containers.map((c) => c.role).sort()).toEqual(['container', 'sandbox']);
  }, 60_000);

  it('logs --previous prints the run before the restart', async () => {
    ok(await kubectl(['apply', '-f', '-'], RESTARTER));
    const seen = await eventually(
      'a restart and the previous run\'s log',
      async () => {
        const restarts = Number((await kubectl(['get', 'pod', 'restarter', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout || '0');
        const previous = restarts > 0 ? await kubectl(['logs', 'restarter', '--previous']) : undefined;
        return { restarts, previous: previous?.stdout, error: previous?.stderr };
      },
      // The previous instance is the restarts-th run (a restart between the two reads: poll again).
      (s) => s.restarts > 0 && s.previous === `run ${s.restarts}\n`,
      60_000,
    );
    expect(seen.restarts).toBeGreaterThan(0);
  }, 90_000);
});
