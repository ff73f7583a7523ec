/**
 * The node's side of port-forward and attach (pod-streams.ts), through the real mesh from a test
 * master: the process runtime (real host processes on loopback) forwards to a pod's port and
 * attaches to its main process; the hollow runtime refuses both; a pod that is not on the node is
 * a 404. The Docker path is covered end to end in test/e2e/streams.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { openAttach } from '../src/net/attach.ts';
import { openPortForward } from '../src/net/portforward.ts';
import { startNodeDaemon, type NodeDaemon } from './daemon.ts';
import { HollowRuntime } from './runtime/hollow.ts';
import { TestMaster, waitFor } from './test-master.ts';
import { phaseOf, testPod, type TestPod } from './test-pods.ts';

let master: TestMaster;
let dir: string;
const daemons: NodeDaemon[] = [];

beforeAll(async () => {
  master = await TestMaster.start();
  dir = await mkdtemp(join(tmpdir(), 'kactus-pod-streams-'));
});

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.close()));
});

afterAll(async () => {
  await master.stop();
  await rm(dir, { recursive: true, force: true });
});

async function node(name: string, runtime: 'process' | HollowRuntime): Promise<NodeDaemon> {
  const d = await startNodeDaemon({ dataDir: join(dir, name), join: [master.addr], token: master.token, runtime, name, heartbeatIntervalMs: 100 });
  daemons.push(d);
  await waitFor('the actor channel', () => master.hasChannelFrom(d.peerId));
  return d;
}

async function running(pod: TestPod): Promise<void> {
  await master.assign(pod);
  await waitFor(`pod ${pod.metadata.name} Running`, () => phaseOf(master.statusOf(pod.metadata.uid)) === 'Running');
}

/** A loopback port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function readToEnd(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

const key = (pod: TestPod) => ({ namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid });

describe('port-forward and attach on a process-runtime node', () => {
  it('forwards to the pod\'s port (127.0.0.1: the host network), and words a refused port as the kubelet', async () => {
    const d = await node('pf-process', 'process');
    const port = await freePort();
    // An echo server that answers once the client half-closed.
    const script = `exec node -e "require('net').createServer({allowHalfOpen:true},(s)=>{let b='';s.on('data',(d)=>b+=d);s.on('end',()=>s.end('echo:'+b))}).listen(${port},'127.0.0.1')"`;
    const pod = testPod('pf-process', 'echo', 'Always', [{ name: 'app', script }]);
    await running(pod);
    const addrs = d.mesh.getMultiaddrs().map(String);
    const conn = await waitFor('the pod listening', () => openPortForward(master.host, addrs, { ...key(pod), port }).catch(() => undefined));
    const answer = readToEnd(conn);
    conn.end('hi');
    expect(await answer).toBe('echo:hi');

    const closed = await freePort();
    const refused = openPortForward(master.host, addrs, { ...key(pod), port: closed });
    await expect(refused).rejects.toMatchObject({
      code: 502,
      fromNode: true,
      message: expect.stringMatching(new RegExp(`^error forwarding port ${closed} to pod [0-9a-f]+, uid : failed to connect to localhost:${closed} inside namespace "[0-9a-f]+", IPv4: dial tcp4 127\\.0\\.0\\.1:${closed}: connect: connection refused$`)),
    });
    const elsewhere = openPortForward(master.host, addrs, { namespace: 'default', name: 'nope', uid: 'no-such-uid', port });
    await expect(elsewhere).rejects.toMatchObject({ code: 404, message: `error forwarding port ${port} to pod nope, uid no-such-uid: pod not found ("nope_default")` });
  });

  it('attaches to the main process: input to a container that keeps stdin, its output from then on', async () => {
    const d = await node('attach-process', 'process');
    const pod = testPod('attach-process', 'reader', 'Never', [{ name: 'app', script: 'while read line; do echo "got $line"; done; echo bye' }]);
    (pod.spec.containers as Record<string, unknown>[])[0]!.stdin = true;
    (pod.spec.containers as Record<string, unknown>[])[0]!.stdinOnce = true;
    await running(pod);
    const session = await openAttach(master.host, d.mesh.getMultiaddrs().map(String), { ...key(pod), container: 'app', stdin: true, tty: false });
    let out = '';
    const done = (async () => {
      for await (const piece of session.output) out += Buffer.from(piece.data).toString();
    })();
    await session.writeStdin(new TextEncoder().encode('one\n'));
    await session.endStdin();
    await done;
    expect(out).toBe('got one\nbye\n');
    await waitFor('Succeeded', () => phaseOf(master.statusOf(pod.metadata.uid)) === 'Succeeded');
  });
});

describe('port-forward and attach on a hollow node', () => {
  it('refuses both with 400: nothing runs there', async () => {
    const d = await node('streams-hollow', new HollowRuntime());
    const pod = testPod('streams-hollow', 'web', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await running(pod);
    const addrs = d.mesh.getMultiaddrs().map(String);
    await expect(openPortForward(master.host, addrs, { ...key(pod), port: 80 })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('the hollow runtime cannot forward ports') });
    await expect(openAttach(master.host, addrs, { ...key(pod), container: 'app', stdin: false, tty: false })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('the hollow runtime cannot attach') });
    await expect(openAttach(master.host, addrs, { ...key(pod), container: 'other', stdin: false, tty: false })).rejects.toMatchObject({ code: 404 });
  });
});
