/**
 * ServiceAccount tokens for nodes' projected volumes: the gateway's answer (only for a pod bound
 * to the asking node and running as that ServiceAccount; the issuer's errors with their codes;
 * 503 without an issuer), and the whole way through a real master (an injected issuer) and a
 * real node daemon (process runtime): the token lands in the pod's projected volume, bound to
 * the pod, with the cluster CA and the namespace, in the volume the ServiceAccount admission adds.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import type { KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import type { ServiceAccountTokenIssuer, ServiceAccountTokenRequest } from '../api/service-account-token.ts';
import { openEmbeddedStore } from '../store/embedded/index.ts';
import type { Store } from '../store/types.ts';
import { waitFor } from '../registry/test-support.ts';
import { startNodeDaemon, type NodeDaemon } from '../../node-daemon/daemon.ts';
import { startMaster, type Master } from './master.ts';
import { answerTokenRequest } from './pod-tokens.ts';
import type { TokenRequest } from '../net/messages.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const EVENTS = findKind('v1', 'Event') as ResourceInfo;
const CONFIGMAPS = findKind('v1', 'ConfigMap') as ResourceInfo;
const SERVICE_ACCOUNTS = findKind('v1', 'ServiceAccount') as ResourceInfo;

const pod = (name: string, uid: string, serviceAccountName?: string): KubeObject => ({
  metadata: { namespace: 'ns', name, uid },
  spec: { nodeName: 'n1', ...(serviceAccountName ? { serviceAccountName } : {}) },
});

function issuer(calls: ServiceAccountTokenRequest[], fail?: ApiError): ServiceAccountTokenIssuer {
  return {
    async issue(request) {
      calls.push(request);
      if (fail) throw fail;
      return { token: `jwt:${request.serviceAccountName}:${request.boundPod?.name}`, expirationTimestamp: '2030-01-01T00:00:00Z', caCertPem: 'CA' };
    },
  };
}

const request = (over: Partial<TokenRequest> = {}): TokenRequest => ({ id: 7, namespace: 'ns', serviceAccountName: 'builder', expirationSeconds: 3607, boundPod: { name: 'web', uid: 'u-1' }, ...over });

describe('answerTokenRequest', () => {
  const pods = { n1: [pod('web', 'u-1', 'builder'), pod('plain', 'u-2')] } as Record<string, KubeObject[]>;
  const podsOn = (n: string) => pods[n] ?? [];

  it('issues a token bound to a pod of the asking node, for its ServiceAccount', async () => {
    const calls: ServiceAccountTokenRequest[] = [];
    expect(await answerTokenRequest('n1', request(), { podsOn, issuer: issuer(calls) })).toEqual({
      type: 'token.issued',
      body: { id: 7, token: 'jwt:builder:web', expirationTimestamp: '2030-01-01T00:00:00Z', caCertPem: 'CA' },
    });
    expect(calls).toEqual([{ namespace: 'ns', serviceAccountName: 'builder', expirationSeconds: 3607, boundPod: { name: 'web', uid: 'u-1' } }]);
    // A pod without serviceAccountName runs as default.
    expect((await answerTokenRequest('n1', request({ serviceAccountName: 'default', boundPod: { name: 'plain', uid: 'u-2' } }), { podsOn, issuer: issuer([]) })).type).toBe('token.issued');
  });

  it('refuses what a kubelet may not ask for, and says when there is no issuer', async () => {
    const deps = { podsOn, issuer: issuer([]) };
    expect(await answerTokenRequest('n2', request(), deps)).toEqual({ type: 'token.refused', body: { id: 7, code: 403, message: 'node "n2" requested token bound to a pod scheduled on a different node' } });
    expect((await answerTokenRequest('n1', request({ boundPod: { name: 'web', uid: 'other' } }), deps)).body).toMatchObject({ code: 403 });
    expect((await answerTokenRequest('n1', request({ namespace: 'elsewhere' }), deps)).body).toMatchObject({ code: 403 });
    expect((await answerTokenRequest('n1', request({ serviceAccountName: 'admin' }), deps)).body).toEqual({
      id: 7,
      code: 403,
      message: 'node "n1" requested token for service account "admin", but pod ns/web runs as "builder"',
    });
    expect((await answerTokenRequest('n1', request(), { podsOn })).body).toEqual({ id: 7, code: 503, message: 'unavailable: this master has no ServiceAccount token issuer' });
    const missing = new ApiError(404, 'NotFound', 'serviceaccounts "builder" not found');
    expect((await answerTokenRequest('n1', request(), { podsOn, issuer: issuer([], missing) })).body).toEqual({ id: 7, code: 404, message: 'serviceaccounts "builder" not found' });
  });
});

describe('projected ServiceAccount tokens through a master and a node', () => {
  let dir: string;
  let store: Store;
  let master: Master;
  let node: NodeDaemon;
  const calls: ServiceAccountTokenRequest[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-pod-tokens-'));
    store = await openEmbeddedStore(join(dir, 'store'));
    master = await startMaster({ store, dataDir: join(dir, 'master'), port: 0, name: 'm1', leaseRetryPeriodMs: 100, tokenIssuer: issuer(calls) });
    const { token } = await master.createJoinToken(600);
    node = await startNodeDaemon({ dataDir: join(dir, 'node'), join: master.meshAddrs, token, runtime: 'process', name: 'tok-node', heartbeatIntervalMs: 200, volumeSyncPeriodMs: 200 });
    await master.api.registry.create(SERVICE_ACCOUNTS, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder' } });
  });

  afterAll(async () => {
    await node?.close();
    await master?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the kube-api-access volume admission adds gets the issuer\'s token (bound to the pod), the cluster CA and the namespace', async () => {
    // The leader publishes the cluster CA in every namespace; the pod's volume waits for it otherwise.
    await waitFor('kube-root-ca.crt', () => master.api.registry.get(CONFIGMAPS, 'default', 'kube-root-ca.crt').catch(() => undefined), 20_000);
    const created = await master.api.registry.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'reader' },
      spec: {
        nodeName: 'tok-node',
        serviceAccountName: 'builder',
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c', 'cd /var/run/secrets/kubernetes.io/serviceaccount && cat token > /out/token && cat ca.crt > /out/ca.crt && cat namespace > /out/namespace; sleep 3600'],
            volumeMounts: [{ name: 'out', mountPath: '/out' }],
          },
        ],
        volumes: [{ name: 'out', emptyDir: {} }],
      },
    });
    const uid = created.metadata!.uid!;
    const out = (f: string) => readFile(join(dir, 'node', 'pods', uid, 'volumes', 'out', f), 'utf8').catch(() => '');
    await waitFor('the token read by the pod', async () => (await out('token')) === 'jwt:builder:reader' && (await out('namespace')) === 'default', 20_000);
    expect(await out('ca.crt')).toBe(master.api.caCertPem);
    expect(calls.at(-1)).toEqual({ namespace: 'default', serviceAccountName: 'builder', expirationSeconds: 3607, boundPod: { name: 'reader', uid } });
    await waitFor('Running', async () => ((await master.api.registry.get(PODS, 'default', 'reader')).status as { phase?: string }).phase === 'Running', 20_000);
    // No FailedMount on the way.
    const events = await master.api.registry.list(EVENTS, 'default');
    expect(events.items.filter((e) => (e.involvedObject as { uid?: string }).uid === uid).map((e) => e.reason)).not.toContain('FailedMount');
  });
});
