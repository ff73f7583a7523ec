/**
 * Debian's `python3-kubernetes` (with Debian's /usr/bin/python3, not whatever python3 is first on
 * PATH) against `kactus up` with a Docker node: python/kube_client.py does one thing per run
 * (create, list, watch, list pods, exec, logs, a view-only ServiceAccount) and prints JSON.
 * The ServiceAccount case needs the RBAC kinds (rbac.authorization.k8s.io): it skips, saying so,
 * while the server does not serve them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, isDockerUp } from '../support/docker.ts';
import { waitFor } from '../support/wait.ts';
import { kubectlFor, ok, uniqueName, type Kubectl } from '../e2e/harness.ts';
import { startUpCluster, type ClientCluster } from './cluster.ts';

/** Debian's interpreter: python3-kubernetes is installed for it (scripts/setup-host.sh). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python/kube_client.py', import.meta.url));
const POD_DEADLINE_MS = 30_000;

// Whether Debian's client is importable; under CI=true a missing one is a failure, not a skip.
const required = process.env.CI === 'true';
const hasClient = existsSync(PYTHON) && (await new Promise<boolean>((resolve) => execFile(PYTHON, ['-c', 'import kubernetes'], (err) => resolve(!err))));
if (!hasClient && required) throw new Error(`${PYTHON} cannot import kubernetes: install Debian's python3-kubernetes (scripts/setup-host.sh)`);
if (!hasClient) console.warn(`skipping python3-kubernetes tests: ${PYTHON} cannot import kubernetes (apt-get install python3-kubernetes)`);
const enabled = hasClient && (dockerRequired() || (await isDockerUp(dockerClient())));

let dir: string;
let cluster: ClientCluster | undefined;
let kubectl: Kubectl;
const ns = uniqueName('py-');

/** What kube_client.py prints for an ApiException. */
interface PyError {
  error: { status: number; reason: string; body: string | null };
}

/** Runs `kube_client.py VERB ARGS...` with the cluster's kubeconfig; resolves with its JSON (an ApiException's too). */
function run<T>(verb: string, args: string[]): Promise<T | PyError> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [SCRIPT, verb, ...args],
      { env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: cluster!.server.kubeconfig }, timeout: 60_000 },
      (err, stdout, stderr) => {
        try {
          const parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T | PyError;
          if (err && !(parsed as PyError).error) throw err;
          resolve(parsed);
        } catch {
          reject(new Error(`kube_client.py ${verb} failed (${err?.message ?? 'no JSON'}):\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      },
    );
  });
}

/** `kube_client.py VERB ARGS...` that must succeed. */
async function py<T = Record<string, unknown>>(verb: string, ...args: string[]): Promise<T> {
  const r = await run<T>(verb, args);
  if ((r as PyError).error) throw new Error(`kube_client.py ${verb} ${args.join(' ')}: ${JSON.stringify(r)}`);
  return r as T;
}

/** `kube_client.py VERB ARGS...` that must end in an ApiException. */
async function pyError(verb: string, ...args: string[]): Promise<PyError['error']> {
  const r = await run<unknown>(verb, args);
  if (!(r as PyError).error) throw new Error(`kube_client.py ${verb} ${args.join(' ')} succeeded: ${JSON.stringify(r)}`);
  return (r as PyError).error;
}

describe.skipIf(!enabled)('python3-kubernetes (Debian) against kactus', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-python-client-'));
    cluster = await startUpCluster(dir, uniqueName('py-node-'));
    kubectl = kubectlFor(cluster.server.kubeconfig, dir);
    ok(await kubectl(['create', 'namespace', ns]));
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('creates a ConfigMap and lists it back as typed models, with a label selector', async () => {
    const made = await py<{ name: string; resourceVersion: string; data: Record<string, string>; uid: string }>('create', ns, 'from-python', 'greeting', 'hello');
    expect(made).toMatchObject({ name: 'from-python', data: { greeting: 'hello' } });
    expect(Number(made.resourceVersion)).toBeGreaterThan(0);
    // What Python created is what kubectl sees.
    expect(ok(await kubectl(['get', 'configmap', 'from-python', '-n', ns, '-o', 'jsonpath={.metadata.uid} {.data.greeting}']))).toBe(`${made.uid} hello`);

    const all = await py<{ kind: string; names: string[] }>('list', ns);
    expect(all.kind).toBe('ConfigMapList');
    expect(all.names).toEqual(['from-python', 'kube-root-ca.crt']);
    expect((await py<{ names: string[] }>('list', ns, 'made-by=python')).names).toEqual(['from-python']);
    expect((await py<{ names: string[] }>('list', ns, 'made-by=nobody')).names).toEqual([]);
  });

  it('watches from a resourceVersion: the changes after it, in order, as typed objects', async () => {
    const { resourceVersion } = await py<{ resourceVersion: string }>('list', ns);
    const watching = py<{ events: Array<{ type: string; name: string; data: Record<string, string> | null }> }>('watch', ns, resourceVersion, '3');
    // Changes made after the version the watch starts from, whenever the watch connects.
    ok(await kubectl(['create', 'configmap', 'watched', '-n', ns, '--from-literal=n=1']));
    ok(await kubectl(['patch', 'configmap', 'watched', '-n', ns, '-p', '{"data":{"n":"2"}}']));
    ok(await kubectl(['delete', 'configmap', 'watched', '-n', ns]));
    const { events } = await watching;
    expect(events.map((e) => [e.type, e.name, e.data?.n])).toEqual([
      ['ADDED', 'watched', '1'],
      ['MODIFIED', 'watched', '2'],
      ['DELETED', 'watched', '2'],
    ]);
  }, 60_000);

  it('lists a running Docker pod (the typed status deserializes), execs in it and reads its log', async () => {
    ok(await kubectl(['run', 'shell', '-n', ns, '--image=busybox', '--restart=Never', '--', 'sh', '-c', "echo started; trap 'exit 0' TERM; sleep 3600 & wait"]));
    await waitFor('pod shell Running', async () => ok(await kubectl(['get', 'pod', 'shell', '-n', ns, '-o', 'jsonpath={.status.phase}'])) === 'Running', POD_DEADLINE_MS, 250);

    const { pods } = await py<{ pods: Array<{ name: string; phase: string; node: string; containers: Array<{ name: string; ready: boolean; image: string; running: boolean }> }> }>('list-pods', ns);
    expect(pods).toEqual([{ name: 'shell', phase: 'Running', node: cluster!.nodeName, containers: [{ name: 'shell', ready: true, image: 'busybox', running: true }] }]);

    const ran = await py<{ stdout: string; stderr: string; returncode: number }>('exec', ns, 'shell', 'sh', '-c', 'echo out; echo err >&2; exit 7');
    expect(ran).toEqual({ stdout: 'out\n', stderr: 'err\n', returncode: 7 });
    expect(await py('exec', ns, 'shell', 'hostname')).toEqual({ stdout: 'shell\n', stderr: '', returncode: 0 });

    const log = await waitFor('the log line', async () => {
      const r = await py<{ log: string; tail: string }>('logs', ns, 'shell', 'shell');
      return r.log ? r : undefined;
    }, POD_DEADLINE_MS, 250);
    expect(log).toEqual({ log: 'started\n', tail: 'started\n' });
  }, 90_000);

  it('a missing object is an ApiException with the Status body', async () => {
    const err = await pyError('logs', ns, 'nope', 'c');
    expect(err.status).toBe(404);
    expect(JSON.parse(err.body!)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found' });
  });

  it('a ServiceAccount bound to the view ClusterRole lists pods with its token, and creating one is 403 Forbidden with Kubernetes\' message', async ({ skip }) => {
    // Needs the RBAC kinds (and the API server's RBAC authorizer): asked of the server's discovery.
    const groups = (JSON.parse(ok(await kubectl(['get', '--raw', '/apis']))) as { groups: Array<{ name: string }> }).groups.map((g) => g.name);
    skip(!groups.includes('rbac.authorization.k8s.io'), 'the server does not serve rbac.authorization.k8s.io yet (RBAC not merged)');
    const r = await py<{ listed: number; create: { status: number; body: Record<string, unknown> } }>('viewer', ns, 'viewer');
    expect(r.listed).toBe(1);
    expect(r.create.status).toBe(403);
    expect(r.create.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: `pods is forbidden: User "system:serviceaccount:${ns}:viewer" cannot create resource "pods" in API group "" in the namespace "${ns}"`,
    });
  }, 60_000);
});
