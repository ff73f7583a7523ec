/**
 * ServiceAccounts against a real API server with the real kubectl: the leader's controllers make
 * `default` accounts and `kube-root-ca.crt`; pods run as an account and get the token volume;
 * `kubectl create token` (a protobuf TokenRequest) mints a token that `kubectl --token` then
 * uses; a token stops working when its account or bound pod is deleted.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResource } from '../../src/api/kinds.ts';
import { ServiceAccountsController } from '../../src/actors/serviceaccount/controller.ts';
import { RootCaPublisher } from '../../src/actors/serviceaccount/root-ca-publisher.ts';
import { startTestCluster, waitFor, type TestCluster } from './harness.ts';

const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const logger = pino({ level: 'silent' });

let c: TestCluster;
let stop: () => void;

beforeAll(async () => {
  c = await startTestCluster({ server: { serviceAccountAdmission: true } });
  const accounts = new ServiceAccountsController({ store: c.store, registry: c.server.registry, logger });
  const publisher = new RootCaPublisher({ store: c.store, registry: c.server.registry, caCertPem: c.server.caCertPem, logger });
  await accounts.start();
  await publisher.start();
  stop = () => {
    accounts.stop();
    publisher.stop();
  };
  await waitFor('the default account', () => c.server.registry.get(SERVICE_ACCOUNTS, 'default', 'default').catch(() => undefined));
});
afterAll(async () => {
  stop?.();
  await c?.close();
});

const podYaml = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers: [{name: c, image: busybox}]
${extra}`;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input);
  expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('ServiceAccounts (kubectl)', () => {
  it('every namespace has a default account and the cluster CA bundle', async () => {
    await ok(['create', 'namespace', 'team']);
    await waitFor('default account in team', async () => (await c.kubectl(['get', 'sa', 'default', '-n', 'team'])).code === 0);
    const out = await ok(['get', 'sa', '-n', 'team']);
    expect(out).toMatch(/^NAME\s+SECRETS\s+AGE\ndefault\s+0\s+\S+\n$/);
    const ca = await waitFor('kube-root-ca.crt', async () => {
      const r = await c.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', 'team', '-o', 'jsonpath={.data.ca\\.crt}']);
      return r.code === 0 && r.stdout;
    });
    expect(ca).toBe(c.server.caCertPem);
  });

  it('pods run as `default` with the token volume; a pod naming a missing account is refused', async () => {
    await ok(['apply', '-f', '-'], podYaml('runs-as-default'));
    const spec = JSON.parse(await ok(['get', 'pod', 'runs-as-default', '-o', 'jsonpath={.spec}'])) as {
      serviceAccountName: string;
      volumes: { name: string; projected: { sources: unknown[] } }[];
      containers: { volumeMounts: unknown[] }[];
    };
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.volumes[0]!.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(spec.volumes[0]!.projected.sources).toHaveLength(3);
    expect(spec.containers[0]!.volumeMounts).toEqual([{ name: spec.volumes[0]!.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    const refused = await c.kubectl(['apply', '-f', '-'], podYaml('lost', '  serviceAccountName: nope'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "lost" is forbidden: error looking up service account default/nope: serviceaccount "nope" not found',
    );
  });

  it('kubectl create token mints a token that kubectl --token uses, until the account is deleted', async () => {
    await ok(['create', 'serviceaccount', 'reader']);
    const token = (await ok(['create', 'token', 'reader'])).trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; aud: string[] };
    expect(claims.sub).toBe('system:serviceaccount:default:reader');
    expect(claims.aud).toEqual(['https://kubernetes.default.svc.cluster.local']);
    expect(await ok(['--token', token, 'get', 'sa', 'reader', '-o', 'name'])).toBe('serviceaccount/reader\n');
    // Asked as YAML, the whole TokenRequest.
    const asked = await ok(['create', 'token', 'reader', '--duration', '20m', '--audience', 'https://kubernetes.default.svc.cluster.local', '-o', 'json']);
    expect(JSON.parse(asked)).toMatchObject({ kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', spec: { expirationSeconds: 1200 }, status: { token: expect.any(String) } });
    await ok(['delete', 'serviceaccount', 'reader']);
    const refused = await c.kubectl(['--token', token, 'get', 'pods']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });

  it('a token bound to a pod ends with the pod', async () => {
    await ok(['apply', '-f', '-'], podYaml('holder'));
    const token = (await ok(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'holder'])).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { 'kubernetes.io': { pod: { name: string } } };
    expect(claims['kubernetes.io'].pod.name).toBe('holder');
    expect((await c.kubectl(['--token', token, 'get', 'pod', 'holder', '-o', 'name'])).stdout).toBe('pod/holder\n');
    await ok(['delete', 'pod', 'holder', '--grace-period', '0', '--force']);
    const refused = await c.kubectl(['--token', token, 'get', 'pods']);
    expect(refused.stderr).toContain('(Unauthorized)');
  });

  it('refuses bad token requests with Kubernetes\' messages', async () => {
    const missing = await c.kubectl(['create', 'token', 'nobody']);
    expect(missing.stderr.trim()).toBe('error: failed to create token: serviceaccounts "nobody" not found');
    const short = await c.kubectl(['create', 'token', 'default', '--duration', '1m']);
    expect(short.stderr.trim()).toBe(
      'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
  });

  it('discovery lists serviceaccounts/token as a TokenRequest create', async () => {
    const res = await c.client.get<{ resources: { name: string; group?: string; version?: string; kind: string; verbs: string[] }[] }>('/api/v1');
    expect(res.body.resources.find((r) => r.name === 'serviceaccounts/token')).toEqual({
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      verbs: ['create'],
    });
  });
});
