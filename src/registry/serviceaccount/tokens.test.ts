/**
 * ServiceAccount tokens over a real Registry: what they claim, who they authenticate as, and when
 * they stop (account or bound pod deleted or recreated, expiry, another key, tampering); the
 * TokenRequest API's checks; one key shared by every master of a store.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { testCluster, type TestCluster } from '../test-support.ts';
import { Registry } from '../registry.ts';
import { signJwt } from './jwt.ts';
import { DEFAULT_ISSUER, ServiceAccountTokens, USER_EXTRA } from './tokens.ts';

const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const PODS = findResource('', 'v1', 'pods')!;
const NODES = findResource('', 'v1', 'nodes')!;

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('ServiceAccount tokens', () => {
  let cluster: TestCluster;
  let clock: Date;
  let tokens: ServiceAccountTokens;
  let account: KubeObject;

  beforeEach(async () => {
    cluster = await testCluster();
    clock = new Date('2025-03-01T12:00:00Z');
    tokens = await ServiceAccountTokens.start({ registry: cluster.registry, caCertPem: 'CA PEM', now: () => clock });
    account = await cluster.registry.create(SERVICE_ACCOUNTS, 'default', { metadata: { name: 'builder' } });
  });
  afterEach(() => cluster.close());

  const createPod = (name: string, serviceAccountName = 'builder', nodeName?: string) =>
    cluster.registry.create(PODS, 'default', { metadata: { name }, spec: { serviceAccountName, ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } });

  it('carries Kubernetes\' claims and authenticates as the account', async () => {
    const answer = await tokens.createTokenRequest('default', 'builder', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    expect(answer).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'builder', namespace: 'default', creationTimestamp: '2025-03-01T12:00:00Z' },
      spec: { audiences: [DEFAULT_ISSUER], expirationSeconds: 3600, boundObjectRef: null },
      status: { expirationTimestamp: '2025-03-01T13:00:00Z' },
    });
    const token = (answer.status as { token: string }).token;
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    const iat = Date.parse('2025-03-01T12:00:00Z') / 1000;
    expect(claimsOf(token)).toEqual({
      aud: [DEFAULT_ISSUER],
      exp: iat + 3600,
      iat,
      nbf: iat,
      iss: DEFAULT_ISSUER,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sub: 'system:serviceaccount:default:builder',
      'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'builder', uid: account.metadata?.uid } },
    });
    expect(await tokens.authenticate(token)).toEqual({
      name: 'system:serviceaccount:default:builder',
      uid: account.metadata?.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      extra: { [USER_EXTRA.credentialID]: [`JTI=${claimsOf(token).jti as string}`] },
    });
  });

  it('binds to a pod (and its node): the pod\'s deletion or re-creation ends the token', async () => {
    const node = await cluster.registry.create(NODES, undefined, { metadata: { name: 'n1' } });
    const pod = await createPod('web', 'builder', 'n1');
    const issued = await tokens.issue({ namespace: 'default', serviceAccountName: 'builder', boundPod: { name: 'web', uid: pod.metadata!.uid! }, expirationSeconds: 3607 });
    expect(issued.caCertPem).toBe('CA PEM');
    expect(issued.expirationTimestamp).toBe('2025-03-01T13:00:07Z');
    const claims = claimsOf(issued.token);
    // A projected token is quietly valid a year, warning after the hour it asked for (Kubernetes' extended expiration).
    const iat = claims.iat as number;
    expect(claims.exp).toBe(iat + 365 * 24 * 3600);
    expect(claims['kubernetes.io']).toEqual({
      namespace: 'default',
      serviceaccount: { name: 'builder', uid: account.metadata?.uid },
      pod: { name: 'web', uid: pod.metadata?.uid },
      node: { name: 'n1', uid: node.metadata?.uid },
      warnafter: iat + 3607,
    });
    const user = await tokens.authenticate(issued.token);
    expect(user?.extra).toMatchObject({
      [USER_EXTRA.podName]: ['web'],
      [USER_EXTRA.podUID]: [pod.metadata?.uid],
      [USER_EXTRA.nodeName]: ['n1'],
      [USER_EXTRA.nodeUID]: [node.metadata?.uid],
    });
    await cluster.registry.delete(PODS, 'default', 'web', { gracePeriodSeconds: 0 });
    expect(await tokens.authenticate(issued.token)).toBeUndefined();
    await createPod('web');
    expect(await tokens.authenticate(issued.token)).toBeUndefined();
  });

  it('ends with the account, and after it expires (past a minute of leeway)', async () => {
    const { token } = await tokens.issue({ namespace: 'default', serviceAccountName: 'builder' });
    clock = new Date(clock.getTime() + 3600_000 + 59_000);
    expect(await tokens.authenticate(token)).toBeDefined();
    clock = new Date(clock.getTime() + 2_000);
    expect(await tokens.authenticate(token)).toBeUndefined();
    clock = new Date('2025-03-01T12:00:00Z');
    await cluster.registry.delete(SERVICE_ACCOUNTS, 'default', 'builder');
    expect(await tokens.authenticate(token)).toBeUndefined();
    // Same name, new account: the old token does not carry over.
    await cluster.registry.create(SERVICE_ACCOUNTS, 'default', { metadata: { name: 'builder' } });
    expect(await tokens.authenticate(token)).toBeUndefined();
  });

  it('refuses tokens it did not sign as it signs them', async () => {
    const { token } = await tokens.issue({ namespace: 'default', serviceAccountName: 'builder' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const forged = { ...claimsOf(token), sub: 'system:serviceaccount:kube-system:admin' };
    expect(await tokens.authenticate(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`)).toBeUndefined();
    expect(await tokens.authenticate(`${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`)).toBeUndefined();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(await tokens.authenticate(signJwt(claimsOf(token), privateKey, 'other'))).toBeUndefined();
    expect(await tokens.authenticate('abcdef.0123456789abcdef')).toBeUndefined();
    // Another audience is not for this API server.
    const elsewhere = await tokens.issue({ namespace: 'default', serviceAccountName: 'builder', audiences: ['vault'] });
    expect(await tokens.authenticate(elsewhere.token)).toBeUndefined();
  });

  it('answers bad TokenRequests as Kubernetes does', async () => {
    expect((await refusal(tokens.createTokenRequest('default', 'nobody', {}))).message).toBe('serviceaccounts "nobody" not found');
    const short = await refusal(tokens.createTokenRequest('default', 'builder', { spec: { expirationSeconds: 100 } }));
    expect([short.code, short.message]).toEqual([422, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 100: may not specify a duration less than 10 minutes']);
    const named = await refusal(tokens.createTokenRequest('default', 'builder', { metadata: { name: 'other' } }));
    expect(named.message).toBe('TokenRequest.authentication.k8s.io "builder" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified');
    await createPod('other-sa', 'default');
    const mismatch = await refusal(tokens.createTokenRequest('default', 'builder', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'other-sa' } } }));
    expect([mismatch.code, mismatch.message]).toEqual([400, 'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.']);
    const missing = await refusal(tokens.createTokenRequest('default', 'builder', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'ghost' } } }));
    expect([missing.code, missing.message]).toEqual([404, 'pods "ghost" not found']);
    await createPod('mine');
    const stale = await refusal(tokens.createTokenRequest('default', 'builder', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'mine', uid: 'not-its-uid' } } }));
    expect(stale.code).toBe(409);
    expect(stale.message).toContain('the UID in the bound object reference (not-its-uid) does not match the UID in record');
    const kind = await refusal(tokens.createTokenRequest('default', 'builder', { spec: { boundObjectRef: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'x' } } }));
    expect([kind.code, kind.message]).toEqual([400, 'cannot bind token to object of type apps/v1, Kind=Deployment']);
  });

  it('shares one signing key between every master of the store', async () => {
    const second = new Registry({ store: cluster.store });
    await second.start();
    try {
      const other = await ServiceAccountTokens.start({ registry: second, caCertPem: 'CA PEM', now: () => clock });
      const { token } = await other.issue({ namespace: 'default', serviceAccountName: 'builder' });
      expect((await tokens.authenticate(token))?.name).toBe('system:serviceaccount:default:builder');
    } finally {
      second.close();
    }
  });
});
