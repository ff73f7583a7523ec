/**
 * `kubectl exec` against the API server, with the node's part played by a scripted ExecSource
 * (the real path through a node daemon and Docker is in test/e2e/cluster.test.ts): the real
 * kubectl 1.32 over WebSocket `v5.channel.k8s.io` — output channels, stdin and its EOF, exit codes
 * — plus what kubectl cannot show (terminal resizes, the client hanging up) through a `ws` client,
 * and Kubernetes' refusals before any upgrade.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ExecSource, PodExecOptions, PodExecSession } from '../../src/apiserver/handlers/pod-exec.ts';
import { logSourceError } from '../../src/apiserver/handlers/pod-logs.ts';
import { startTestCluster, waitFor, type TestCluster } from './harness.ts';

/** A scripted command: what it was asked, its stdin and resizes; it "runs" `script`. */
interface Scripted extends PodExecSession {
  opts: PodExecOptions;
  container: string;
  stdin: string;
  stdinEnded: boolean;
  resizes: [number, number][];
  aborted: boolean;
}

type Emit = (fd: 1 | 2, text: string) => void;

function scripted(container: string, opts: PodExecOptions, signal: AbortSignal): Scripted {
  const queue: ({ fd: 1 | 2; data: Uint8Array } | { exit: number })[] = [];
  let wake: (() => void) | undefined;
  const push = (item: (typeof queue)[number]): void => {
    queue.push(item);
    wake?.();
  };
  const emit: Emit = (fd, text) => push({ fd, data: new TextEncoder().encode(text) });
  let code: number | undefined;
  let stdinDone!: () => void;
  const stdinEnded = new Promise<void>((resolve) => (stdinDone = resolve));
  let resized!: () => void;
  const firstResize = new Promise<void>((resolve) => (resized = resolve));
  const s: Scripted = {
    opts,
    container,
    stdin: '',
    stdinEnded: false,
    resizes: [],
    aborted: false,
    get exitCode() {
      return code;
    },
    output: (async function* () {
      for (;;) {
        const item = queue.shift();
        if (!item) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if ('exit' in item) {
          code = item.exit;
          return;
        }
        yield item;
      }
    })(),
    writeStdin: async (data) => void (s.stdin += Buffer.from(data).toString()),
    endStdin: async () => {
      s.stdinEnded = true;
      stdinDone();
    },
    resize: async (cols, rows) => {
      s.resizes.push([cols, rows]);
      resized();
    },
    abort: () => void (s.aborted = true),
  };
  signal.addEventListener('abort', () => (s.aborted = true));
  const [cmd, ...args] = opts.command;
  void (async () => {
    if (cmd === 'echo') emit(1, `${args.join(' ')}\n`);
    else if (cmd === 'fail') emit(2, 'boom\n');
    else if (cmd === 'cat') {
      await stdinEnded;
      emit(1, s.stdin);
    } else if (cmd === 'size') {
      await firstResize;
      emit(1, `${s.resizes[0]!.join('x')}\n`);
    }
    if (cmd === 'wait' || cmd === 'slow') return; // runs until the client goes away
    push({ exit: cmd === 'fail' ? Number(args[0]) : 0 });
  })();
  return s;
}

let c: TestCluster;
const sessions: Scripted[] = [];
const source: ExecSource = {
  async open(pod, container, opts, signal) {
    // `slow`: the node is still starting the command when the client goes away.
    if (opts.command[0] === 'slow') await new Promise((resolve) => signal.addEventListener('abort', resolve));
    if (container === 'stopped') throw logSourceError(400, `container "stopped" in pod "${pod.metadata?.name}" is not running`);
    const s = scripted(container, opts, signal);
    sessions.push(s);
    return s;
  },
};

const pod = (name: string, extra: Record<string, unknown> = {}): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName: 'n1', containers: [{ name: 'main', image: 'busybox' }, { name: 'stopped', image: 'busybox' }] },
  ...extra,
});

beforeAll(async () => {
  c = await startTestCluster({ server: { exec: source } });
  for (const body of [pod('box'), pod('unbound', { spec: { containers: [{ name: 'main', image: 'busybox' }] } })]) {
    const res = await c.client.post('/api/v1/namespaces/default/pods', body);
    expect(res.status, res.text).toBe(201);
  }
  const done = await c.client.post('/api/v1/namespaces/default/pods', pod('done'));
  expect(done.status).toBe(201);
  const status = await c.client.put('/api/v1/namespaces/default/pods/done/status', { ...done.body, status: { phase: 'Succeeded' } });
  expect(status.status, status.text).toBe(200);
});
afterAll(async () => {
  await c?.close();
});

describe('kubectl exec', () => {
  it('prints the command output and exits 0', async () => {
    const r = await c.kubectl(['exec', 'box', '-c', 'main', '--', 'echo', 'hello', 'world']);
    expect(r).toMatchObject({ code: 0, stdout: 'hello world\n' });
    expect(sessions.at(-1)).toMatchObject({ container: 'main', opts: { command: ['echo', 'hello', 'world'], stdin: false, tty: false } });
  });

  it("passes the command's exit code and stderr through", async () => {
    const r = await c.kubectl(['exec', 'box', '-c', 'main', '--', 'fail', '3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('boom');
  });

  it('-i sends stdin, and its end is EOF for the command (v5 close signal)', async () => {
    const r = await c.kubectl(['exec', '-i', 'box', '-c', 'main', '--', 'cat'], 'line one\nline two\n');
    expect(r).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
    expect(sessions.at(-1)).toMatchObject({ opts: { stdin: true }, stdinEnded: true });
  });

  it('answers as Kubernetes: unknown pod, unknown container, no node, completed pod (before upgrading), node refusal (after)', async () => {
    const cases: [string[], RegExp][] = [
      [['exec', 'nosuch', '--', 'echo'], /pods "nosuch" not found/],
      [['exec', 'box', '-c', 'nope', '--', 'echo'], /container nope is not valid for pod box/],
      [['exec', 'unbound', '--', 'echo'], /pod unbound does not have a host assigned/],
      [['exec', 'done', '-c', 'main', '--', 'echo'], /cannot exec into a container in a completed pod; current phase is Succeeded/],
      [['exec', 'box', '-c', 'stopped', '--', 'echo'], /container "stopped" in pod "box" is not running/],
    ];
    for (const [args, message] of cases) {
      const r = await c.kubectl(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
  });
});

/** Opens an exec WebSocket as kubectl does; resolves once upgraded. */
function connect(query: string): Promise<{ ws: WebSocket; messages: Buffer[]; closed: Promise<void> }> {
  const url = `${c.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/box/exec?${query}`;
  const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca: c.server.caCertPem, headers: { Authorization: `Bearer ${c.server.adminToken}` } });
  const messages: Buffer[] = [];
  ws.on('message', (data: Buffer) => messages.push(data));
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve({ ws, messages, closed }));
    ws.on('error', reject);
  });
}

describe('the exec WebSocket', () => {
  it('takes terminal resizes on channel 4 and ends with a Success status on channel 3', async () => {
    const { ws, messages, closed } = await connect('command=size&container=main&stdin=true&stdout=true&tty=true');
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":132,"Height":43}')]));
    await closed;
    expect(messages.map((m) => [m[0], m.subarray(1).toString()])).toEqual([
      [1, '132x43\n'],
      [3, '{"metadata":{},"status":"Success"}'],
    ]);
    expect(sessions.at(-1)).toMatchObject({ opts: { tty: true }, resizes: [[132, 43]] });
  });

  it('a client that goes away releases the command', async () => {
    const { ws } = await connect('command=wait&container=main&stdout=true');
    const session = sessions.at(-1)!;
    expect(session.aborted).toBe(false);
    ws.terminate();
    await waitFor('session released', () => session.aborted || undefined);
  });

  it('a client that goes away while the node starts the command releases it once started', async () => {
    const before = sessions.length;
    const { ws } = await connect('command=slow&container=main&stdout=true');
    ws.terminate();
    await waitFor('session opened', () => sessions.length > before || undefined);
    await waitFor('session released', () => sessions.at(-1)!.aborted || undefined);
  });

  it('refuses an upgrade without one of the channel subprotocols, and a plain request', async () => {
    const ws = new WebSocket(`${c.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/box/exec?command=echo&stdout=true`, ['base64.channel.k8s.io'], {
      ca: c.server.caCertPem,
      headers: { Authorization: `Bearer ${c.server.adminToken}` },
    });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(400);
    const plain = await c.client.post('/api/v1/namespaces/default/pods/box/exec?command=echo&stdout=true', {});
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ reason: 'BadRequest', message: 'Upgrade request required' });
  });
});
