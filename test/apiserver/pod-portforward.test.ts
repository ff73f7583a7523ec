/**
 * `kubectl port-forward` against the API server, with the node's part played by a scripted
 * PortForwardSource whose "pod" is a TCP server on loopback (the real path through a node daemon
 * and Docker is in test/e2e/streams.test.ts). The real kubectl 1.32, over both protocols it
 * speaks: SPDY tunnelled in a WebSocket (its default) and the plain SPDY upgrade it falls back to.
 */
import type { ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortForwardSource } from '../../src/apiserver/handlers/pod-portforward.ts';
import { startTestCluster, waitFor, type TestCluster } from './harness.ts';

let c: TestCluster;
/** The pod's listener: echoes every connection, and answers `GET /` like an HTTP server. */
let pod: Server;
let podPort: number;
const podSockets = new Set<Socket>();
const asked: { pod: string; port: number }[] = [];

const source: PortForwardSource = {
  async connect(p, port, signal) {
    asked.push({ pod: p.metadata?.name ?? '', port });
    if (port !== 8080) {
      throw new Error(`error forwarding port ${port} to pod sandbox-1, uid : failed to connect to localhost:${port} inside namespace "sandbox-1", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused`);
    }
    const socket = connect({ host: '127.0.0.1', port: podPort, allowHalfOpen: true });
    signal.addEventListener('abort', () => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return socket;
  },
};

/** Starts `kubectl port-forward pod/NAME 0:PORT`; resolves with the local port it picked. */
async function portForward(target: string, remotePort: number, env: NodeJS.ProcessEnv = {}): Promise<{ proc: ChildProcess; port: number; stderr: () => string; exited: Promise<number | null> }> {
  const proc = c.spawnKubectl(['port-forward', target, `0:${remotePort}`], { ...process.env, ...env });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const port = await waitFor(`kubectl port-forward ${target} to listen (stderr: ${err})`, () => {
    const m = /Forwarding from 127\.0\.0\.1:(\d+) -> /.exec(out);
    return m ? Number(m[1]) : undefined;
  }, 15_000);
  return { proc, port, stderr: () => err, exited };
}

/** One connection through the forward: sends `request`, half-closes, resolves with all it read. */
function exchange(port: number, request: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', reject);
    socket.end(request);
  });
}

beforeAll(async () => {
  pod = createServer({ allowHalfOpen: true }, (socket) => {
    podSockets.add(socket);
    socket.on('close', () => podSockets.delete(socket));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    // Answers once the client half-closed: an echo with a header line, so each answer is checkable.
    socket.on('end', () => socket.end(Buffer.concat([Buffer.from(`echo ${Buffer.concat(chunks).length}\n`), ...chunks])));
  });
  await new Promise<void>((resolve) => pod.listen(0, '127.0.0.1', resolve));
  podPort = (pod.address() as AddressInfo).port;
  c = await startTestCluster({ server: { portForward: source } });
  const web = await c.client.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: 'n1', containers: [{ name: 'web', image: 'busybox' }] } });
  expect(web.status, web.text).toBe(201);
  const running = await c.client.put('/api/v1/namespaces/default/pods/web/status', { ...web.body, status: { phase: 'Running' } });
  expect(running.status, running.text).toBe(200);
}, 30_000);

afterAll(async () => {
  await c?.close();
  for (const s of podSockets) s.destroy();
  await new Promise<void>((resolve) => (pod ? pod.close(() => resolve()) : resolve()));
});

describe.each([
  ['SPDY tunnelled in a WebSocket', {}],
  ['the plain SPDY upgrade', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
])('kubectl port-forward over %s', (_name, env) => {
  it('forwards a connection to the pod port, both ways, half-close included', async () => {
    const pf = await portForward('pod/web', 8080, env);
    try {
      const answer = await exchange(pf.port, 'hello pod\n');
      expect(answer.toString()).toBe('echo 10\nhello pod\n');
      expect(asked.at(-1)).toEqual({ pod: 'web', port: 8080 });
    } finally {
      pf.proc.kill();
      await pf.exited;
    }
  });

  it('carries many connections at once through one session, large ones too', async () => {
    const pf = await portForward('pod/web', 8080, env);
    try {
      const big = Buffer.alloc(3 * 1024 * 1024, 'k');
      const answers = await Promise.all([...Array.from({ length: 8 }, (_, i) => exchange(pf.port, `connection ${i}`)), exchange(pf.port, big)]);
      answers.slice(0, 8).forEach((a, i) => expect(a.toString()).toBe(`echo ${`connection ${i}`.length}\nconnection ${i}`));
      const bigAnswer = answers[8]!;
      expect(bigAnswer.subarray(0, 13).toString()).toBe(`echo ${big.length}\n`);
      expect(bigAnswer.subarray(13).equals(big)).toBe(true);
    } finally {
      pf.proc.kill();
      await pf.exited;
    }
  }, 30_000);

  it('a client that goes away closes the pod connection', async () => {
    const pf = await portForward('pod/web', 8080, env);
    try {
      const before = podSockets.size;
      const client = connect({ host: '127.0.0.1', port: pf.port });
      await new Promise<void>((resolve) => client.once('connect', resolve));
      client.write('partial');
      await waitFor('the pod connection', () => podSockets.size > before);
      client.destroy();
      await waitFor('the pod connection closed', () => podSockets.size === before);
    } finally {
      pf.proc.kill();
      await pf.exited;
    }
  });

  it('a refused port: kubectl prints the error as Kubernetes words it', async () => {
    const pf = await portForward('pod/web', 9999, env);
    const client = connect({ host: '127.0.0.1', port: pf.port });
    client.on('error', () => {});
    client.end();
    // kubectl 1.32 gives up on the whole forward once a connection reports an error.
    await pf.exited;
    // klog quotes the message, escaping its quotes.
    const printed = pf.stderr().replaceAll('\\"', '"');
    expect(printed).toMatch(/an error occurred forwarding \d+ -> 9999: error forwarding port 9999 to pod sandbox-1, uid : failed to connect to localhost:9999 inside namespace "sandbox-1", IPv4: dial tcp4 127\.0\.0\.1:9999: connect: connection refused/);
    expect(printed).toContain('error: lost connection to pod');
  });
});

describe('port-forward refusals', () => {
  it('kubectl refuses a pod that is not running; the server, a pod without a node and a plain request', async () => {
    const pending = await c.client.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    expect(pending.status).toBe(201);
    const r = await c.kubectl(['port-forward', 'pod/pending', '0:8080']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unable to forward port because pod is not running. Current status=Pending');
    // Running but with no node (a status written by hand): the API server's own 400.
    await c.client.put('/api/v1/namespaces/default/pods/pending/status', { ...pending.body, status: { phase: 'Running' } });
    const unbound = await c.kubectl(['port-forward', 'pod/pending', '0:8080']);
    expect(unbound.code).not.toBe(0);
    expect(unbound.stderr).toContain('pod pending does not have a host assigned');
    const plain = await c.client.post('/api/v1/namespaces/default/pods/web/portforward', {});
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ reason: 'BadRequest', message: 'Upgrade request required' });
  });
});
