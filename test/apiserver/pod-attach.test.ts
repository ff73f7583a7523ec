/**
 * `kubectl attach` against the API server, with the node's part played by a scripted
 * AttachSource (the real path through a node daemon and Docker is in test/e2e/streams.test.ts):
 * the real kubectl 1.32 over WebSocket `v5.channel.k8s.io` — output as the process prints it,
 * stdin with -i when the container keeps it open, the terminal setting taken from the container —
 * and Kubernetes' refusals before any upgrade, through a `ws` client where kubectl checks first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AttachSource, PodAttachOptions } from '../../src/apiserver/handlers/pod-attach.ts';
import type { ChannelSession } from '../../src/apiserver/handlers/channel-stream.ts';
import { logSourceError } from '../../src/apiserver/handlers/pod-logs.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

/** What the scripted node was asked. */
const asked: { container: string; opts: PodAttachOptions; stdin: string }[] = [];

/** A process that prints two lines, echoes its stdin (when attached) back, and ends. */
function attached(container: string, opts: PodAttachOptions): ChannelSession {
  const record = { container, opts, stdin: '' };
  asked.push(record);
  const encode = (text: string) => new TextEncoder().encode(text);
  let stdinEnded!: () => void;
  const ended = new Promise<void>((resolve) => (stdinEnded = resolve));
  return {
    output: (async function* () {
      yield { fd: 1 as const, data: encode('line 1\n') };
      yield { fd: opts.tty ? (1 as const) : (2 as const), data: encode('line 2\n') };
      if (opts.stdin) {
        await ended;
        yield { fd: 1 as const, data: encode(`read: ${record.stdin}`) };
      }
    })(),
    exitCode: undefined,
    writeStdin: async (data) => void (record.stdin += Buffer.from(data).toString()),
    endStdin: async () => stdinEnded(),
    resize: async () => {},
    abort: () => {},
  };
}

let c: TestCluster;
const source: AttachSource = {
  async open(pod, container, opts) {
    if (container === 'stopped') throw logSourceError(400, `container "stopped" in pod "${pod.metadata?.name}" is not running`);
    return attached(container, opts);
  },
};

async function runningPod(name: string, containers: object[], phase = 'Running'): Promise<void> {
  const res = await c.client.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'n1', containers } });
  expect(res.status, res.text).toBe(201);
  const status = await c.client.put(`/api/v1/namespaces/default/pods/${name}/status`, { ...res.body, status: { phase } });
  expect(status.status, status.text).toBe(200);
}

beforeAll(async () => {
  c = await startTestCluster({ server: { attach: source } });
  await runningPod('plain', [{ name: 'main', image: 'busybox' }, { name: 'stopped', image: 'busybox' }]);
  await runningPod('interactive', [{ name: 'main', image: 'busybox', stdin: true, stdinOnce: true }]);
  await runningPod('terminal', [{ name: 'main', image: 'busybox', stdin: true, tty: true }]);
  await runningPod('done', [{ name: 'main', image: 'busybox' }], 'Succeeded');
});

afterAll(async () => {
  await c?.close();
});

describe('kubectl attach', () => {
  it('prints what the process prints, stdout and stderr, and ends with it', async () => {
    const r = await c.kubectl(['attach', 'plain', '-c', 'main']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('line 1\n');
    expect(r.stderr).toContain('line 2\n');
    expect(asked.at(-1)).toMatchObject({ container: 'main', opts: { stdin: false, tty: false } });
  });

  it('-i passes stdin to a container that keeps it open, its end as EOF', async () => {
    const r = await c.kubectl(['attach', '-i', 'interactive'], 'typed input\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('line 1\nread: typed input\n');
    expect(asked.at(-1)).toMatchObject({ opts: { stdin: true, tty: false }, stdin: 'typed input\n' });
  });

  it('-i to a container without stdin attaches output only', async () => {
    const r = await c.kubectl(['attach', '-i', 'plain', '-c', 'main'], 'ignored\n');
    expect(r.code, r.stderr).toBe(0);
    expect(asked.at(-1)).toMatchObject({ opts: { stdin: false } });
  });

  it('takes the terminal setting from the container, not the request', async () => {
    const r = await c.kubectl(['attach', 'terminal']);
    expect(r.code, r.stderr).toBe(0);
    expect(asked.at(-1)).toMatchObject({ opts: { tty: true } });
  });

  it('answers as Kubernetes: completed pod (kubectl), unknown container, and the node refusing a stopped one', async () => {
    const done = await c.kubectl(['attach', 'done']);
    expect(done.stderr).toContain('cannot attach a container in a completed pod; current phase is Succeeded');
    const stopped = await c.kubectl(['attach', 'plain', '-c', 'stopped']);
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toContain('container "stopped" in pod "plain" is not running');
  });
});

describe('the attach upgrade', () => {
  /** The HTTP status and Status body of an attach the server refuses before upgrading. */
  function refused(path: string): Promise<{ status: number; body: { message?: string } }> {
    const ws = new WebSocket(`${c.server.url.replace('https', 'wss')}${path}`, ['v5.channel.k8s.io'], { ca: c.server.caCertPem, headers: { Authorization: `Bearer ${c.server.adminToken}` } });
    return new Promise((resolve) =>
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { message?: string } }));
      }),
    );
  }

  it('refuses what Kubernetes refuses before contacting the node', async () => {
    expect(await refused('/api/v1/namespaces/default/pods/done/attach?stdout=true')).toMatchObject({ status: 400, body: { message: 'cannot attach a container in a completed pod; current phase is Succeeded' } });
    expect(await refused('/api/v1/namespaces/default/pods/plain/attach?container=nope&stdout=true')).toMatchObject({ status: 400, body: { message: 'container nope is not valid for pod plain' } });
    expect(await refused('/api/v1/namespaces/default/pods/plain/attach?container=main')).toMatchObject({ status: 400, body: { message: 'you must specify at least 1 of stdin, stdout, stderr' } });
    expect(await refused('/api/v1/namespaces/default/pods/ghost/attach?stdout=true')).toMatchObject({ status: 404 });
  });
});
