/** The node's probe runner: dispatch by handler, the pod IP as default host, hollow runtimes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeRequest } from '../../src/actors/pod/probe-spec.ts';
import { HollowRuntime } from '../runtime/hollow.ts';
import { ProcessRuntime } from '../runtime/process.ts';
import { createProbeRunner } from './runner.ts';

const never = new AbortController().signal;
let server: Server;
let port: number;
let dir: string;
/** A runtime whose probes connect for real (the one that needs no engine). */
let runtime: ProcessRuntime;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-probe-runner-'));
  runtime = await ProcessRuntime.open({ dataDir: dir });
  server = createServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 500).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function request(overrides: Partial<ProbeRequest>): ProbeRequest {
  return { kind: 'readiness', container: 'app', containerId: 'c1', podIP: '127.0.0.1', handler: { type: 'tcpSocket', port }, timeoutSeconds: 1, ...overrides };
}

describe('createProbeRunner', () => {
  it('probes the pod IP unless the handler names a host', async () => {
    const run = createProbeRunner(runtime);
    expect(await run(request({ handler: { type: 'httpGet', scheme: 'HTTP', port, path: '/ok', headers: [] } }), never)).toMatchObject({ result: 'success' });
    expect(await run(request({ podIP: '127.0.0.2', handler: { type: 'httpGet', scheme: 'HTTP', host: '127.0.0.1', port, path: '/ok', headers: [] } }), never)).toMatchObject({
      result: 'success',
    });
    expect(await run(request({}), never)).toEqual({ result: 'success', output: '' });
  });

  it('errors without a pod IP to probe, and with an invalid handler', async () => {
    const run = createProbeRunner(runtime);
    expect(await run(request({ podIP: undefined }), never)).toEqual({ result: 'error', output: 'the pod has no IP to probe' });
    expect(await run(request({ handler: { type: 'invalid', message: 'no port named "x" in container "app"' } }), never)).toEqual({
      result: 'error',
      output: 'no port named "x" in container "app"',
    });
  });

  it('succeeds every probe on the hollow runtime, unless told otherwise', async () => {
    const hollow = new HollowRuntime();
    expect(await createProbeRunner(hollow)(request({ handler: { type: 'exec', command: ['false'] } }), never)).toEqual({ result: 'success', output: '' });
    const failing = createProbeRunner(hollow, { hollow: (r) => ({ result: r.kind === 'liveness' ? 'failure' : 'success', output: 'told to' }) });
    expect(await failing(request({ kind: 'liveness' }), never)).toEqual({ result: 'failure', output: 'told to' });
  });
});
