/**
 * The RBAC matrix (issue 15): a master as `kactus master` runs it (bootstrap policy, the leader's
 * aggregation of admin/edit/view), eight ServiceAccounts — view, edit, admin and cluster-admin,
 * each bound once by a RoleBinding in `matrix` and once by a ClusterRoleBinding — and for each
 * of them every verb on a representative set of kinds, as real HTTPS requests with the account's
 * token. A request is expected to pass exactly when the table below says so: written by hand from
 * Kubernetes' bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy), not computed by
 * the authorizer under test. Allowed means the request succeeds (2xx); denied means 403 with
 * Kubernetes' message. Then: anonymous requests get 401; a view-only account lists pods and its
 * create is refused in Kubernetes' words; the real kubectl with the account's token in a
 * kubeconfig answers `auth can-i`, `auth can-i --list` and `auth whoami`; `kubectl create
 * rolebinding` works, and an account may not bind a role it does not hold.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.ts';
import { startMaster, type Master } from '../../src/master/master.ts';
import { openEmbeddedStore } from '../../src/store/embedded/index.ts';
import type { Store } from '../../src/store/types.ts';
import { ApiClient, type Response } from '../apiserver/harness.ts';
import { waitFor } from '../support/wait.ts';
import { recordFigure } from '../support/figures.ts';

const NS = 'matrix';
const ROLES = ['view', 'edit', 'admin', 'cluster-admin'] as const;
type Role = (typeof ROLES)[number];
type Scope = 'RoleBinding' | 'ClusterRoleBinding';
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
type Verb = (typeof VERBS)[number];

const READ: Verb[] = ['get', 'list', 'watch'];
const ALL: Verb[] = [...VERBS];

/**
 * What each default role allows on the namespaced kinds, in its namespace (from the bootstrap
 * policy: view reads workloads and config but not Secrets nor RBAC; edit writes them and reads
 * Secrets; admin adds Roles and RoleBindings; cluster-admin everything). The same whether bound
 * by a RoleBinding in the namespace or by a ClusterRoleBinding.
 */
const NAMESPACED: Record<Role, Record<string, Verb[]>> = {
  view: { pods: READ, configmaps: READ, services: READ, deployments: READ, secrets: [], roles: [], rolebindings: [] },
  edit: { pods: ALL, configmaps: ALL, services: ALL, deployments: ALL, secrets: ALL, roles: [], rolebindings: [] },
  admin: { pods: ALL, configmaps: ALL, services: ALL, deployments: ALL, secrets: ALL, roles: ALL, rolebindings: ALL },
  'cluster-admin': { pods: ALL, configmaps: ALL, services: ALL, deployments: ALL, secrets: ALL, roles: ALL, rolebindings: ALL },
};

/**
 * Cluster-scoped kinds. Nodes: only cluster-admin bound cluster-wide. Namespaces: view, edit and
 * admin read them (`get`/`list`/`watch`); bound by a RoleBinding only their own namespace is
 * readable (`get matrix`; a list is cluster-wide). cluster-admin bound by a RoleBinding may do to
 * its own namespace what it may do in it (get, update, patch), nothing cluster-wide.
 * (`deletecollection` is not served for namespaces; `delete` targets another namespace.)
 */
const CLUSTER: Record<Scope, Record<Role, Record<'nodes' | 'namespaces', Verb[]>>> = {
  RoleBinding: {
    view: { nodes: [], namespaces: ['get'] },
    edit: { nodes: [], namespaces: ['get'] },
    admin: { nodes: [], namespaces: ['get'] },
    'cluster-admin': { nodes: [], namespaces: ['get', 'update', 'patch'] },
  },
  ClusterRoleBinding: {
    view: { nodes: [], namespaces: READ },
    edit: { nodes: [], namespaces: READ },
    admin: { nodes: [], namespaces: READ },
    'cluster-admin': { nodes: ALL, namespaces: ALL },
  },
};

interface Kind {
  resource: string;
  /** Collection path in the matrix namespace (or cluster-wide). */
  collection: string;
  namespaced: boolean;
  apiGroup: string;
  /** A valid object named `name`. */
  body(name: string): Record<string, unknown>;
}

const meta = (name: string, namespaced: boolean) => ({ name, ...(namespaced ? { namespace: NS } : {}), labels: { matrix: 'yes' } });
const KINDS: Kind[] = [
  { resource: 'pods', apiGroup: '', namespaced: true, collection: `/api/v1/namespaces/${NS}/pods`, body: (n) => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta(n, true), spec: { containers: [{ name: 'c', image: 'busybox' }] } }) },
  { resource: 'configmaps', apiGroup: '', namespaced: true, collection: `/api/v1/namespaces/${NS}/configmaps`, body: (n) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(n, true), data: { a: 'b' } }) },
  { resource: 'secrets', apiGroup: '', namespaced: true, collection: `/api/v1/namespaces/${NS}/secrets`, body: (n) => ({ apiVersion: 'v1', kind: 'Secret', metadata: meta(n, true), stringData: { a: 'b' } }) },
  { resource: 'services', apiGroup: '', namespaced: true, collection: `/api/v1/namespaces/${NS}/services`, body: (n) => ({ apiVersion: 'v1', kind: 'Service', metadata: meta(n, true), spec: { ports: [{ port: 80 }] } }) },
  {
    resource: 'deployments',
    apiGroup: 'apps',
    namespaced: true,
    collection: `/apis/apps/v1/namespaces/${NS}/deployments`,
    body: (n) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(n, true),
      spec: { replicas: 0, selector: { matchLabels: { app: n } }, template: { metadata: { labels: { app: n } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    }),
  },
  {
    resource: 'roles',
    apiGroup: 'rbac.authorization.k8s.io',
    namespaced: true,
    collection: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`,
    body: (n) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(n, true), rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }),
  },
  {
    resource: 'rolebindings',
    apiGroup: 'rbac.authorization.k8s.io',
    namespaced: true,
    collection: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
    body: (n) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(n, true),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'nobody' }],
    }),
  },
  { resource: 'nodes', apiGroup: '', namespaced: false, collection: '/api/v1/nodes', body: (n) => ({ apiVersion: 'v1', kind: 'Node', metadata: meta(n, false) }) },
  { resource: 'namespaces', apiGroup: '', namespaced: false, collection: '/api/v1/namespaces', body: (n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: meta(n, false) }) },
];

function expected(role: Role, scope: Scope, kind: Kind, verb: Verb): boolean {
  const verbs = kind.namespaced ? NAMESPACED[role][kind.resource]! : CLUSTER[scope][role][kind.resource as 'nodes' | 'namespaces'];
  return verbs.includes(verb);
}

/** The object each verb addresses: a fixture for reads and writes, a fresh object for delete, the namespace itself for namespaces. */
function fixtureName(kind: Kind): string {
  return kind.resource === 'namespaces' ? NS : 'fixture';
}

let dir: string;
let store: Store;
let master: Master;
let admin: ApiClient;
const tokens = new Map<string, string>();
const account = (role: Role, scope: Scope): string => `${role}-${scope === 'RoleBinding' ? 'rb' : 'crb'}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-rbac-matrix-'));
  store = await openEmbeddedStore(join(dir, 'store'), { fsync: false });
  master = await startMaster({ store, dataDir: dir, port: 0, name: 'm1', leaseRetryPeriodMs: 100, logger: pino({ level: 'silent' }) });
  admin = new ApiClient(master.api.url, master.api.caCertPem, master.api.adminToken);
  const ok = async (r: Promise<Response>): Promise<Response> => {
    const res = await r;
    if (res.status >= 300) throw new Error(`${res.status} ${res.text}`);
    return res;
  };
  await ok(admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
  await waitFor('the default account in matrix', async () => (await admin.get(`/api/v1/namespaces/${NS}/serviceaccounts/default`)).status === 200);
  // The leader's aggregation fills admin, edit and view.
  await waitFor('aggregated admin', async () => {
    const r = await admin.get<{ rules?: { resources?: string[] }[] }>('/apis/rbac.authorization.k8s.io/v1/clusterroles/admin');
    return r.body.rules?.some((rule) => rule.resources?.includes('rolebindings'));
  });
  for (const role of ROLES) {
    for (const scope of ['RoleBinding', 'ClusterRoleBinding'] as const) {
      const name = account(role, scope);
      await ok(admin.post(`/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } }));
      const binding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: scope,
        metadata: { name: `matrix-${name}`, ...(scope === 'RoleBinding' ? { namespace: NS } : {}) },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name, namespace: NS }],
      };
      await ok(admin.post(scope === 'RoleBinding' ? `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings` : '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding));
      const tr = await ok(admin.post(`/api/v1/namespaces/${NS}/serviceaccounts/${name}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }));
      tokens.set(name, (tr.body as { status: { token: string } }).status.token);
    }
  }
  for (const kind of KINDS) if (kind.resource !== 'namespaces') await ok(admin.post(kind.collection, kind.body('fixture')));
  // The authorizer reads informers: wait until the last binding is visible to it.
  const last = account('cluster-admin', 'ClusterRoleBinding');
  await waitFor('bindings seen by the authorizer', async () => (await admin.get('/api/v1/nodes', { token: tokens.get(last)! })).status === 200);
}, 60_000);

afterAll(async () => {
  await master?.close();
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One real request of `verb` on `kind` with `token`; resolves to the response status and body. */
async function attempt(kind: Kind, verb: Verb, token: string, tag: string): Promise<Response> {
  const item = `${kind.collection}/${fixtureName(kind)}`;
  switch (verb) {
    case 'get':
      return admin.get(item, { token });
    case 'list':
      return admin.get(kind.collection, { token });
    case 'watch': {
      const w = await admin.watch(`${kind.collection}?watch=1&timeoutSeconds=5`, { token });
      const status = w.status;
      w.close();
      return { status, headers: w.res.headers, text: '', body: {} } as Response;
    }
    case 'create':
      return admin.post(kind.collection, kind.body(`new-${tag}`), { token });
    case 'update': {
      const current = (await admin.get(item)).body;
      return admin.put(item, { ...current, metadata: { ...current.metadata, resourceVersion: undefined, labels: { ...current.metadata?.labels, updated: tag } } }, { token });
    }
    case 'patch':
      return admin.patch(item, { metadata: { labels: { patched: tag } } }, 'application/merge-patch+json', { token });
    case 'delete': {
      const name = `del-${tag}`;
      const created = await admin.post(kind.collection, kind.body(name));
      if (created.status !== 201) throw new Error(`fixture ${name}: ${created.status} ${created.text}`);
      return admin.delete(`${kind.collection}/${name}`, undefined, { token });
    }
    case 'deletecollection':
      return admin.delete(`${kind.collection}?labelSelector=matrix-case%3Dnone`, undefined, { token });
  }
}

/** Kubernetes' 403 wording for this request. */
function forbiddenMessage(sa: string, kind: Kind, verb: Verb, tag: string): string {
  const user = `system:serviceaccount:${NS}:${sa}`;
  const namedObject = verb === 'get' || verb === 'update' || verb === 'patch' || verb === 'delete';
  const name = namedObject ? (verb === 'delete' ? `del-${tag}` : fixtureName(kind)) : '';
  const qualified = kind.apiGroup ? `${kind.resource}.${kind.apiGroup}` : kind.resource;
  const subject = name ? `${qualified} "${name}"` : qualified;
  // A namespace is in itself; a list, watch or create of namespaces and anything on nodes is cluster-wide.
  const namespace = kind.namespaced ? NS : kind.resource === 'namespaces' && name ? name : '';
  const where = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${user}" cannot ${verb} resource "${kind.resource}" in API group "${kind.apiGroup}" ${where}`;
}

describe('RBAC matrix: default roles × verbs × kinds through real requests', () => {
  it('allows a request exactly when the bootstrap policy does', { timeout: 120_000 }, async () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (const role of ROLES) {
      for (const scope of ['RoleBinding', 'ClusterRoleBinding'] as const) {
        const sa = account(role, scope);
        const token = tokens.get(sa)!;
        for (const kind of KINDS) {
          for (const verb of VERBS) {
            if (kind.resource === 'namespaces' && verb === 'deletecollection') continue;
            const tag = `${sa}-${kind.resource}-${verb}`.replace(/[^a-z0-9-]/g, '-');
            const want = expected(role, scope, kind, verb);
            const res = await attempt(kind, verb, token, tag);
            checked++;
            const got = res.status < 300 ? 'allowed' : res.status === 403 ? 'forbidden' : `error ${res.status}`;
            if (want && got !== 'allowed') mismatches.push(`${sa} ${verb} ${kind.resource}: expected allowed, got ${got} ${res.text}`);
            if (!want) {
              if (got !== 'forbidden') mismatches.push(`${sa} ${verb} ${kind.resource}: expected 403, got ${got}`);
              else if (verb !== 'watch') {
                const body = res.body as unknown as { reason?: string; message?: string };
                const message = forbiddenMessage(sa, kind, verb, tag);
                if (body.reason !== 'Forbidden' || body.message !== message) mismatches.push(`${sa} ${verb} ${kind.resource}: message ${JSON.stringify(body.message)}, expected ${JSON.stringify(message)}`);
              }
            }
          }
        }
      }
    }
    recordFigure('RBAC matrix cases checked', checked);
    recordFigure('RBAC matrix mismatches', mismatches.length);
    expect(mismatches).toEqual([]);
    expect(checked).toBe(ROLES.length * 2 * (KINDS.length * VERBS.length - 1));
  });

  it('anonymous requests are 401, health and the dashboard stay open', async () => {
    for (const path of ['/api/v1/namespaces/matrix/pods', '/api', '/version', '/apis/rbac.authorization.k8s.io/v1/clusterroles', '/kactus/v1/machines']) {
      const r = await admin.get(path, { token: null });
      expect([path, r.status, (r.body as { reason?: string }).reason]).toEqual([path, 401, 'Unauthorized']);
    }
    expect((await admin.get('/healthz', { token: null })).status).toBe(200);
    expect((await admin.get('/api', { token: 'not-a-token' })).status).toBe(401);
  });

  it('a view-only account lists pods, and its create is 403 in Kubernetes words', async () => {
    const token = tokens.get(account('view', 'RoleBinding'))!;
    const list = await admin.get<{ kind: string; items: unknown[] }>(`/api/v1/namespaces/${NS}/pods`, { token });
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('PodList');
    const created = await admin.post(`/api/v1/namespaces/${NS}/pods`, KINDS[0]!.body('sneaky'), { token });
    expect(created.status).toBe(403);
    expect(created.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods is forbidden: User "system:serviceaccount:matrix:view-rb" cannot create resource "pods" in API group "" in the namespace "matrix"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
    // Discovery is every authenticated user's (system:discovery); a path no role names is not.
    expect((await admin.get('/apis', { token })).status).toBe(200);
    const metrics = await admin.get('/metrics', { token });
    expect([metrics.status, (metrics.body as { message?: string }).message]).toEqual([403, 'forbidden: User "system:serviceaccount:matrix:view-rb" cannot get path "/metrics"']);
  });
});

describe('kubectl with a ServiceAccount token', () => {
  let kubeconfig: string;
  const kubectl = (args: string[], config = kubeconfig): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', config, '--cache-dir', join(dir, 'kube-cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  beforeAll(async () => {
    kubeconfig = join(dir, 'viewer.kubeconfig');
    await writeFile(kubeconfig, buildKubeconfig({ url: master.api.url, caCertPem: master.api.caCertPem, token: tokens.get(account('view', 'RoleBinding'))! }), { mode: 0o600 });
  });

  it('auth can-i answers yes and no as the policy says', async () => {
    const cases: [string[], boolean][] = [
      [['list', 'pods'], true],
      [['get', 'pods/log'], true],
      [['create', 'pods'], false],
      [['get', 'secrets'], false],
      [['create', 'roles'], false],
      [['list', 'pods', '-n', 'default'], false],
      [['list', 'nodes'], false],
      [['get', '/api'], true],
      [['get', '/metrics'], false],
    ];
    let checked = 0;
    for (const [args, yes] of cases) {
      const r = await kubectl(['auth', 'can-i', ...args, ...(args.includes('-n') || args[1]!.startsWith('/') ? [] : ['-n', NS])]);
      expect([args.join(' '), r.stdout.trim(), r.code]).toEqual([args.join(' '), yes ? 'yes' : 'no', yes ? 0 : 1]);
      checked++;
    }
    recordFigure('kubectl auth can-i answers checked', checked);
  });

  it('auth can-i --as tests another user as the admin; --list lists the rules; whoami names the account', async () => {
    const adminConfig = join(dir, 'admin.kubeconfig');
    await writeFile(adminConfig, buildKubeconfig({ url: master.api.url, caCertPem: master.api.caCertPem, token: master.api.adminToken }), { mode: 0o600 });
    const as = ['--as', `system:serviceaccount:${NS}:${account('edit', 'RoleBinding')}`];
    expect((await kubectl(['auth', 'can-i', 'create', 'secrets', '-n', NS, ...as], adminConfig)).stdout.trim()).toBe('yes');
    expect((await kubectl(['auth', 'can-i', 'create', 'roles', '-n', NS, ...as], adminConfig)).stdout.trim()).toBe('no');
    // The viewer itself may not impersonate.
    const refused = await kubectl(['get', 'pods', '-n', NS, '--as', 'someone']);
    expect(refused.stderr).toContain('users "someone" is forbidden: User "system:serviceaccount:matrix:view-rb" cannot impersonate resource "users" in API group "" at the cluster scope');

    const list = await kubectl(['auth', 'can-i', '--list', '-n', NS]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n/);
    expect(list.stdout).toMatch(/\npods\s+\[\]\s+\[\]\s+\[get list watch\]\n/);
    expect(list.stdout).toMatch(/selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
    expect(list.stdout).not.toMatch(/\nsecrets\s/);

    const whoami = await kubectl(['auth', 'whoami']);
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toMatch(/Username\s+system:serviceaccount:matrix:view-rb\n/);
    expect(whoami.stdout).toMatch(/Groups\s+\[system:serviceaccounts system:serviceaccounts:matrix system:authenticated\]/);
    expect(whoami.stdout).toMatch(/Extra: authentication\.kubernetes\.io\/credential-id\s+\[JTI=/);
  });

  it('kubectl create rolebinding works; a viewer may not grant what it does not hold', async () => {
    const adminConfig = join(dir, 'admin.kubeconfig');
    const made = await kubectl(['create', 'rolebinding', 'viewer-edit', '--clusterrole=edit', `--serviceaccount=${NS}:${account('view', 'RoleBinding')}`, '-n', NS], adminConfig);
    expect([made.code, made.stdout.trim()]).toEqual([0, 'rolebinding.rbac.authorization.k8s.io/viewer-edit created']);
    const shown = await kubectl(['get', 'rolebinding', 'viewer-edit', '-n', NS, '-o', 'wide'], adminConfig);
    expect(shown.stdout).toMatch(/^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nviewer-edit\s+ClusterRole\/edit\s+\S+\s+matrix\/view-rb\n$/);
    // The viewer now edits; its can-i follows once the authorizer's cache has the binding.
    await waitFor('the new binding in force', async () => (await kubectl(['auth', 'can-i', 'create', 'configmaps', '-n', NS])).stdout.trim() === 'yes');
    await kubectl(['delete', 'rolebinding', 'viewer-edit', '-n', NS], adminConfig);
    await waitFor('the binding gone', async () => (await kubectl(['auth', 'can-i', 'create', 'configmaps', '-n', NS])).stdout.trim() === 'no');

    // The admin account may bind edit (it holds every rule of it) but not cluster-admin.
    const adminSa = join(dir, 'admin-sa.kubeconfig');
    await writeFile(adminSa, buildKubeconfig({ url: master.api.url, caCertPem: master.api.caCertPem, token: tokens.get(account('admin', 'RoleBinding'))! }), { mode: 0o600 });
    expect((await kubectl(['create', 'rolebinding', 'ok-edit', '--clusterrole=edit', '--user=carol', '-n', NS], adminSa)).code).toBe(0);
    const escalation = await kubectl(['create', 'rolebinding', 'too-much', '--clusterrole=cluster-admin', '--user=carol', '-n', NS], adminSa);
    expect(escalation.code).not.toBe(0);
    expect(escalation.stderr).toContain(
      'rolebindings.rbac.authorization.k8s.io "too-much" is forbidden: user "system:serviceaccount:matrix:admin-rb" (groups=["system:serviceaccounts" "system:serviceaccounts:matrix" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}',
    );
    const role = await kubectl(['create', 'role', 'node-reader', '--verb=get', '--resource=nodes', '-n', NS], adminSa);
    expect(role.code).not.toBe(0);
    expect(role.stderr).toContain('roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "system:serviceaccount:matrix:admin-rb"');
    expect(role.stderr).toContain('{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}');
  });
});
