/**
 * `/kactus/v1/events` and `/kactus/v1/history` under RBAC (src/apiserver/events/README.md,
 * "Authorization"): a user sees the transitions of, and the Events about, only the objects whose
 * kind it may watch or list in their namespace — in the snapshot, live, and on a resume; history
 * needs `get` on the object's kind; a user not allowed the stream's path is closed with 4403;
 * `system:masters` sees everything. The authorizer is the asynchronous chain the master composes
 * (`authorizerChain`), so entries wait for decisions in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransitionRecord } from '../../src/api/transition.ts';
import { findResource } from '../../src/api/kinds.ts';
import type { KubeObject } from '../../src/api/object.ts';
import type { UserInfo } from '../../src/api/user.ts';
import { startRbac, reconcileBootstrapPolicy, type Rbac } from '../../src/registry/authorization/rbac/index.ts';
import { authorizerChain, type Authorizer } from '../../src/registry/authorization/types.ts';
import { TransitionLogWriter } from '../../src/registry/transition-log/writer.ts';
import { StreamReader, type StreamMessage } from '../support/event-stream.ts';
import { waitFor } from '../support/wait.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

const USERS: Record<string, UserInfo> = {
  'alice-token': { name: 'alice', groups: ['system:authenticated'] },
  // Authenticated by a token but in no group the bootstrap policy names: not even the stream's path.
  'mallory-token': { name: 'mallory', groups: [] },
};
const G = 'rbac.authorization.k8s.io';

const rec = (kind: string, namespace: string, name: string, to: string): TransitionRecord => ({
  kind,
  namespace,
  name,
  uid: `uid-${name}`,
  actor: '',
  time: new Date().toISOString(),
  from: '',
  to,
  event: 'test.step',
});
const event = (namespace: string, pod: string, reason: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: `${pod}.${reason}`, namespace },
  involvedObject: { kind: 'Pod', namespace, name: pod },
  reason,
});

let c: TestCluster;
let rbac: Rbac | undefined;
let writer: TransitionLogWriter;
const open = (token: string, query: Record<string, string> = {}) => StreamReader.open({ url: c.server.url, ca: c.server.caCertPem, token, query });
const seen = (r: StreamReader): string[] =>
  r.messages.filter((m) => m.type !== 'heartbeat' && m.type !== 'snapshot-end').map((m: StreamMessage) => (m.type === 'event' ? `event:${(m.event as KubeObject).metadata?.name}` : `${m.type}:${m.kind}/${m.namespace}/${m.name}:${m.to}`));

beforeAll(async () => {
  // The server asks the chain, which asks RBAC once it is started over the server's store.
  const lazy: Authorizer = { authorize: (a) => rbac!.authorizer.authorize(a) };
  c = await startTestCluster({ server: { authorizer: authorizerChain(lazy), tokens: (t) => USERS[t] } });
  rbac = await startRbac(c.store);
  await reconcileBootstrapPolicy(c.server.registry);
  const reg = c.server.registry;
  for (const ns of ['team', 'other']) await reg.create(findResource('', 'v1', 'namespaces')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await reg.create(findResource(G, 'v1', 'clusterroles')!, undefined, {
    apiVersion: `${G}/v1`,
    kind: 'ClusterRole',
    metadata: { name: 'pod-watcher' },
    rules: [
      { apiGroups: [''], resources: ['pods', 'events'], verbs: ['watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    ],
  });
  await reg.create(findResource(G, 'v1', 'rolebindings')!, 'team', {
    apiVersion: `${G}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'alice-pods', namespace: 'team' },
    roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'pod-watcher' },
    subjects: [{ apiGroup: G, kind: 'User', name: 'alice' }],
  });
  await waitFor('the binding in force', () => rbac!.authorizer.authorize({ user: USERS['alice-token']!, resourceRequest: true, verb: 'watch', apiGroup: '', resource: 'pods', subresource: '', namespace: 'team', name: '' }).decision === 'allow');
  writer = new TransitionLogWriter({ store: c.store });
  await writer.append([rec('Pod', 'team', 'p1', 'pending'), rec('Pod', 'other', 'p2', 'pending'), rec('Node', '', 'n1', 'ready'), rec('Deployment', 'team', 'd1', 'progressing')]);
});
afterAll(async () => {
  await writer?.close();
  rbac?.stop();
  await c?.close();
});

describe('the event stream shows each user what it may watch', () => {
  it('snapshot, live transitions and Events are filtered per kind and namespace; the admin sees all', async () => {
    const alice = await open('alice-token');
    const admin = await open(c.server.adminToken);
    for (const r of [alice, admin]) await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
    expect(seen(alice)).toEqual(['snapshot:Pod/team/p1:pending']);
    expect(seen(admin)).toHaveLength(4);

    await writer.append([rec('Pod', 'other', 'p2', 'running'), rec('Deployment', 'team', 'd1', 'complete'), rec('Pod', 'team', 'p1', 'running')]);
    await writer.appendEvent(event('other', 'p2', 'Started'));
    await writer.appendEvent(event('team', 'p1', 'Started'));
    await writer.append([rec('Node', '', 'n1', 'lost'), rec('Pod', 'team', 'p1', 'succeeded')]);
    await admin.until('everything', (r) => seen(r).length === 4 + 7);
    await alice.until('her pod done', (r) => seen(r).includes('transition:Pod/team/p1:succeeded'));
    expect(seen(alice)).toEqual(['snapshot:Pod/team/p1:pending', 'transition:Pod/team/p1:running', 'event:p1.Started', 'transition:Pod/team/p1:succeeded']);

    // A resume from the first index replays only what she may see, in order.
    const first = alice.messages.find((m) => m.type === 'snapshot-end')!.index!;
    const again = await open('alice-token', { index: String(first) });
    await again.until('caught up', (r) => seen(r).includes('transition:Pod/team/p1:succeeded'));
    expect(seen(again)).toEqual(['transition:Pod/team/p1:running', 'event:p1.Started', 'transition:Pod/team/p1:succeeded']);
    for (const r of [alice, admin, again]) await r.close();
  });

  it('a user not allowed the stream path is closed with 4403', async () => {
    const mallory = await open('mallory-token');
    expect(await mallory.closedWith()).toEqual({ code: 4403, reason: 'User "mallory" cannot get path "/kactus/v1/events"' });
  });

  it('history needs get on the kind in the namespace', async () => {
    const get = (path: string) => c.client.get(path, { token: 'alice-token' });
    const mine = await get('/kactus/v1/history/Pod/team/p1');
    expect(mine.status).toBe(200);
    expect((mine.body as unknown as { items: unknown[] }).items.length).toBeGreaterThan(0);
    const other = await get('/kactus/v1/history/Pod/other/p2');
    expect([other.status, (other.body as { message?: string }).message]).toEqual([403, 'pods "p2" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "other"']);
    expect((await get('/kactus/v1/history/Node/_/n1')).status).toBe(403);
    expect((await c.client.get('/kactus/v1/history/Node/_/n1')).status).toBe(200);
  });
});
