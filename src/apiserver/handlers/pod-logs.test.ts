import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { startTestCluster, type TestCluster } from '../../../test/apiserver/harness.ts';
import { checkLogAvailable, logContainer, logSourceError, podLogOptions, type LogSource, type PodLogOptions } from './pod-logs.ts';
import { waitFor } from '../../../test/support/wait.ts';

const PODS = findResource('', 'v1', 'pods')!;

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return `${err.code} ${err.message}`;
    throw err;
  }
  throw new Error('no error thrown');
}

const twoContainers: Pod = {
  metadata: { name: 'p' },
  spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'a' }, { name: 'b' }] },
};

describe('pod log checks (Kubernetes wording)', () => {
  it('validates options as PodLogOptions', () => {
    expect(podLogOptions(new URLSearchParams('follow=true&tailLines=3&timestamps=1'), 'p')).toEqual({ follow: true, previous: false, timestamps: true, tailLines: 3 });
    expect(badRequest(() => podLogOptions(new URLSearchParams('tailLines=-1'), 'p'))).toBe('422 PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
    expect(badRequest(() => podLogOptions(new URLSearchParams('sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z'), 'p'))).toContain('at most one of `sinceTime` or `sinceSeconds` may be specified');
    expect(badRequest(() => podLogOptions(new URLSearchParams('limitBytes=0'), 'p'))).toContain('limitBytes: Invalid value: 0: must be greater than 0');
    const since = podLogOptions(new URLSearchParams('sinceTime=2024-01-01T00:00:00Z'), 'p', new Date('2024-01-01T00:01:00Z'));
    expect(since.sinceSeconds).toBe(60);
  });

  it('picks the container: the only one, the named one, or lists them all', () => {
    expect(logContainer({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } }, undefined)).toBe('c');
    expect(logContainer(twoContainers, 'b')).toBe('b');
    expect(badRequest(() => logContainer(twoContainers, undefined))).toBe('400 a container name must be specified for pod p, choose one of: [init a b]');
    expect(badRequest(() => logContainer(twoContainers, 'zz'))).toBe('400 container zz is not valid for pod p');
  });

  it('answers what the kubelet answers for containers without a log', () => {
    const pod = (status: Pod['status'], nodeName: string | undefined = 'n1'): Pod => ({ metadata: { name: 'p' }, spec: { nodeName, containers: [{ name: 'c' }] }, status });
    const st = (state: object, lastState?: object) => ({ status: { containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state, lastState }] } as Pod['status'] });
    expect(badRequest(() => checkLogAvailable(pod(undefined, undefined), 'c', false))).toBe('400 container "c" in pod "p" is waiting to start: ContainerCreating');
    expect(badRequest(() => checkLogAvailable(pod({ phase: 'Pending' }), 'c', false))).toBe('400 container "c" in pod "p" is waiting to start: ContainerCreating');
    expect(badRequest(() => checkLogAvailable(pod(st({ waiting: { reason: 'ImagePullBackOff' } }).status), 'c', false))).toBe(
      '400 container "c" in pod "p" is waiting to start: trying and failing to pull image',
    );
    expect(badRequest(() => checkLogAvailable(pod(st({ running: {} }).status), 'c', true))).toBe('400 previous terminated container "c" in pod "p" not found');
    expect(() => checkLogAvailable(pod(st({ running: {} }).status), 'c', false)).not.toThrow();
    // CrashLoopBackOff: waiting now, but the last run left a log.
    const crashing = st({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1, containerID: 'docker://x' } }).status;
    expect(() => checkLogAvailable(pod(crashing), 'c', false)).not.toThrow();
    expect(() => checkLogAvailable(pod(crashing), 'c', true)).not.toThrow();
    // A finished container (a completed Job's pod) keeps its log while the pod exists.
    const finished = st({ terminated: { exitCode: 0, reason: 'Completed', containerID: 'docker://y' } }).status;
    expect(checkLogAvailable(pod({ ...finished, phase: 'Succeeded' }), 'c', false)).toBe('docker://y');
    // CrashLoopBackOff: plain logs and --previous both name the last run, as the kubelet's do.
    expect(checkLogAvailable(pod(crashing), 'c', false)).toBe('docker://x');
    expect(checkLogAvailable(pod(crashing), 'c', true)).toBe('docker://x');
    expect(badRequest(() => checkLogAvailable(pod({ ...finished, phase: 'Succeeded' }), 'c', true))).toBe('400 previous terminated container "c" in pod "p" not found');
    // One that never started names no container: nothing to read.
    expect(badRequest(() => checkLogAvailable(pod(st({ terminated: { exitCode: 128, reason: 'StartError' } }).status), 'c', false))).toBe('400 container "c" in pod "p" is terminated');
  });

  it('maps node codes to Status reasons', () => {
    expect(logSourceError(404, 'gone').toStatus()).toMatchObject({ code: 404, reason: 'NotFound', message: 'gone' });
    expect(logSourceError(502, 'broke').toStatus()).toMatchObject({ code: 502, reason: 'InternalError' });
  });
});

/** A log the test writes to, line by line, as a container would. */
class TestLog {
  private lines: string[] = [];
  private wake: (() => void) | undefined;
  ended = false;
  /** Set when the server stopped reading (the signal aborted and the generator finished). */
  released = false;
  opts: PodLogOptions | undefined;

  write(line: string): void {
    this.lines.push(line);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *read(signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const onAbort = (): void => this.wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        const line = this.lines.shift();
        if (line !== undefined) yield Buffer.from(line);
        else if (this.ended) return;
        else if (signal.aborted) throw signal.reason;
        else await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.released = true;
    }
  }
}


describe('GET pods/{name}/log', () => {
  let c: TestCluster;
  let bare: TestCluster;
  const logs = new Map<string, TestLog>();
  const source: LogSource = {
    async stream(pod, container, opts, signal) {
      if (container === 'vanished') throw logSourceError(404, `container "vanished" is gone from node`);
      const log = new TestLog();
      log.opts = opts;
      logs.set(`${pod.metadata?.name}/${container}`, log);
      return log.read(signal);
    },
  };

  beforeAll(async () => {
    c = await startTestCluster({ server: { logs: source } });
    bare = await startTestCluster();
  });
  afterAll(async () => {
    await c?.close();
    await bare?.close();
  });

  async function runningPod(cluster: TestCluster, name: string, containers: string[]): Promise<void> {
    const reg = cluster.server.registry;
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'n1', containers: containers.map((n) => ({ name: n, image: 'busybox' })) } };
    const created = await reg.create(PODS, 'default', pod);
    const containerStatuses = containers.map((n) => ({ name: n, image: 'busybox', imageID: '', ready: true, restartCount: 0, started: true, containerID: `docker://${n}`, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }));
    await reg.updateStatus(PODS, 'default', name, { ...created, status: { phase: 'Running', containerStatuses } });
  }

  /** Opens a log request; resolves with the response once headers arrived. */
  function open(cluster: TestCluster, path: string): Promise<{ res: IncomingMessage; destroy(): void }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(new URL(path, cluster.server.url), { headers: { Authorization: `Bearer ${cluster.server.adminToken}` }, ca: cluster.server.caCertPem }, (res) =>
        resolve({ res, destroy: () => req.destroy() }),
      );
      req.on('error', reject);
      req.end();
    });
  }

  async function text(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  const LOG = '/api/v1/namespaces/default/pods';

  it('404 Status for a pod that does not exist', async () => {
    const r = await c.client.get(`${LOG}/nope/log`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found' });
  });

  it('400 when the pod has several containers and none is named', async () => {
    await runningPod(c, 'two', ['a', 'b']);
    const r = await c.client.get(`${LOG}/two/log`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ reason: 'BadRequest', message: 'a container name must be specified for pod two, choose one of: [a b]' });
  });

  it('400 waiting to start for a pod not yet bound', async () => {
    await c.server.registry.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const r = await c.client.get(`${LOG}/pending/log`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ message: 'container "c" in pod "pending" is waiting to start: ContainerCreating' });
  });

  it('passes a source failure on as a Status', async () => {
    await runningPod(c, 'gone', ['vanished']);
    const r = await c.client.get(`${LOG}/gone/log`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ kind: 'Status', message: 'container "vanished" is gone from node' });
  });

  it('503 when the server has no log source', async () => {
    await runningPod(bare, 'web', ['c']);
    const r = await bare.client.get(`${LOG}/web/log`);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ reason: 'ServiceUnavailable' });
  });

  it('streams a finished log as text/plain with the options passed through', async () => {
    await runningPod(c, 'done', ['c']);
    const pending = open(c, `${LOG}/done/log?tailLines=2&timestamps=true`);
    await waitFor('the condition', () => logs.has('done/c'));
    const log = logs.get('done/c')!;
    log.write('one\n');
    log.write('two\n');
    log.end();
    const { res } = await pending;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(await text(res)).toBe('one\ntwo\n');
    // The instance the status names goes along: the node serves that run's log.
    expect(log.opts).toEqual({ follow: false, previous: false, timestamps: true, tailLines: 2, containerID: 'docker://c' });
  });

  it('follow: headers before any output, lines as written, and a client hang-up releases the source', async () => {
    await runningPod(c, 'follow', ['a', 'b']);
    const { res, destroy } = await open(c, `${LOG}/follow/log?container=b&follow=true`);
    expect(res.statusCode).toBe(200);
    const log = logs.get('follow/b')!;
    const it = res[Symbol.asyncIterator]();
    log.write('first\n');
    expect(String((await it.next()).value)).toBe('first\n');
    log.write('second\n');
    expect(String((await it.next()).value)).toBe('second\n');
    destroy();
    await waitFor('the condition', () => log.released);
  });

  it('limitBytes cuts the log and stops reading', async () => {
    await runningPod(c, 'limited', ['c']);
    const pending = open(c, `${LOG}/limited/log?follow=true&limitBytes=5`);
    await waitFor('the condition', () => logs.has('limited/c'));
    const log = logs.get('limited/c')!;
    log.write('abc\n');
    log.write('defgh\n');
    const { res } = await pending;
    expect(await text(res)).toBe('abc\nd');
    await waitFor('the condition', () => log.released);
  });
});
