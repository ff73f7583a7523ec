/**
 * Issue 15's audit log: "who did what, when, with the response code". An API server with an
 * audit log file; a create by the admin (through kubectl), requests without a token and with a
 * wrong one (401), a ServiceAccount's create that is refused (403), a watch the client ends, and a
 * health check; each request is then found in the log — or, for health, not — as an
 * audit.k8s.io/v1 Event with the right user, verb, object and code, and the `Audit-Id` header
 * the client got names it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogWriter } from '../../src/apiserver/audit/log-writer.ts';
import type { AuditEvent } from '../../src/apiserver/audit/event.ts';
import { startTestCluster, waitFor, type TestCluster } from '../apiserver/harness.ts';
import { recordFigure } from '../support/figures.ts';

let c: TestCluster;
let audit: AuditLogWriter;
let logPath: string;
let checked = 0;

async function events(): Promise<AuditEvent[]> {
  await audit.flushed();
  return (await readFile(logPath, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
}

/** The one event with `auditID`, checked against `expected`. */
async function expectEvent(auditID: string | string[] | undefined, expected: Partial<AuditEvent> & Record<string, unknown>): Promise<AuditEvent> {
  expect(typeof auditID).toBe('string');
  const found = await waitFor(`audit event ${String(auditID)}`, async () => (await events()).find((e) => e.auditID === auditID));
  expect(found).toMatchObject({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', stage: 'ResponseComplete', ...expected });
  expect(Date.parse(found.stageTimestamp)).toBeGreaterThanOrEqual(Date.parse(found.requestReceivedTimestamp));
  expect(found.sourceIPs).toContain('127.0.0.1');
  checked++;
  return found;
}

let logDir: string;

beforeAll(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'kactus-audit-'));
  logPath = join(logDir, 'audit.log');
  audit = await AuditLogWriter.open({ path: logPath });
  c = await startTestCluster({ server: { audit } });
}, 60_000);

afterAll(async () => {
  recordFigure('audit log: requests found with the right user and code', checked);
  await c?.close();
  await audit?.close();
  if (logDir) await rm(logDir, { recursive: true, force: true });
});

describe('the audit log', () => {
  it('records a create by the admin through kubectl: user, verb, object, 201', async () => {
    const r = await c.kubectl(['create', 'configmap', 'audited', '--from-literal=k=v', '-v=8']);
    expect(r.code, r.stderr).toBe(0);
    // kubectl -v=8 prints the response headers, among them the Audit-Id of its POST.
    const id = /POST https:\/\/\S+\/api\/v1\/namespaces\/default\/configmaps\S*[\s\S]*?Response Status: 201[\s\S]*?Audit-Id: ([0-9a-f-]{36})/.exec(r.stderr)?.[1];
    const ev = await expectEvent(id, {
      verb: 'create',
      user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
      objectRef: { resource: 'configmaps', namespace: 'default', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
    });
    expect(ev.userAgent).toMatch(/^kubectl\//);
    expect(ev.requestURI).toMatch(/^\/api\/v1\/namespaces\/default\/configmaps/);
  });

  it('records requests without a token and with a wrong one as system:anonymous, 401', async () => {
    const none = await c.client.get('/api/v1/namespaces/default/pods', { token: null });
    expect(none.status).toBe(401);
    await expectEvent(none.headers['audit-id'], {
      verb: 'list',
      user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
      responseStatus: { metadata: {}, code: 401, status: 'Failure', reason: 'Unauthorized' },
    });
    const wrong = await c.client.post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }, { token: 'not-a-token' });
    expect(wrong.status).toBe(401);
    await expectEvent(wrong.headers['audit-id'], { verb: 'create', objectRef: { resource: 'secrets', namespace: 'default', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 401, status: 'Failure', reason: 'Unauthorized' } });
  });

  it('records a ServiceAccount\'s refused create with its name, 403 Forbidden', async () => {
    // A namespace held Terminating by a finalizer refuses new content with 403 whoever asks (and with
    // RBAC, a ServiceAccount without bindings gets 403 before that): either way, Forbidden for this user.
    expect((await c.client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'closing' } })).status).toBe(201);
    expect((await c.client.post('/api/v1/namespaces/closing/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } })).status).toBe(201);
    expect((await c.client.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'auditor' } })).status).toBe(201);
    const minted = await c.client.post<{ status: { token: string } }>('/api/v1/namespaces/default/serviceaccounts/auditor/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    expect(minted.status).toBe(201);
    expect((await c.client.delete('/api/v1/namespaces/closing')).status).toBe(200);
    const refused = await c.client.post('/api/v1/namespaces/closing/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new' } }, { token: minted.body.status.token });
    expect(refused.status).toBe(403);
    const ev = await expectEvent(refused.headers['audit-id'], {
      verb: 'create',
      objectRef: { resource: 'configmaps', namespace: 'closing', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 403, status: 'Failure', reason: 'Forbidden' },
    });
    expect(ev.user.username).toBe('system:serviceaccount:default:auditor');
    expect(ev.user.groups).toEqual(expect.arrayContaining(['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']));
  });

  it("carries admission's audit annotations: PodSecurity's audit mode on a labelled namespace", async () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'audited-pss', labels: { 'pod-security.kubernetes.io/audit': 'restricted' } } };
    expect((await c.client.post('/api/v1/namespaces', ns)).status).toBe(201);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const created = await c.client.post('/api/v1/namespaces/audited-pss/pods', pod);
    expect(created.status).toBe(201);
    const ev = await expectEvent(created.headers['audit-id'], { verb: 'create', responseStatus: { metadata: {}, code: 201 } });
    expect(ev.annotations?.['pod-security.kubernetes.io/audit-violations']).toMatch(/^would violate PodSecurity "restricted:latest": /);
  });

  it('records a watch once the client ends it, and no health check', async () => {
    const before = (await events()).length;
    expect((await c.client.get('/healthz', { token: null })).status).toBe(200);
    const watch = await c.client.watch('/api/v1/namespaces/default/configmaps?watch=true');
    const id = watch.res.headers['audit-id'];
    watch.res.destroy();
    await expectEvent(id, { verb: 'watch', objectRef: { resource: 'configmaps', namespace: 'default', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } });
    const after = await events();
    expect(after.slice(before).some((e) => e.requestURI.startsWith('/healthz'))).toBe(false);
  });

  it('never holds a body: a Secret\'s data is not in the log', async () => {
    const value = 'audit-never-sees-this-value-0123456789';
    const created = await c.client.post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'quiet' }, stringData: { v: value } });
    expect(created.status).toBe(201);
    await expectEvent(created.headers['audit-id'], { verb: 'create', objectRef: { resource: 'secrets', namespace: 'default', apiVersion: 'v1' } });
    const text = await readFile(logPath, 'utf8');
    expect(text).not.toContain(value);
    expect(text).not.toContain(Buffer.from(value).toString('base64'));
  });
});
