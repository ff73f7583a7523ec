/**
 * The RBAC kinds with the real kubectl 1.32: `kubectl create role | clusterrole | rolebinding |
 * clusterrolebinding` (protobuf bodies; the object kubectl builds with `--dry-run=client` is what
 * the server stores), `get` with kubectl's columns, `describe`, `apply -f` (create, then a
 * strategic merge patch), validation in Kubernetes' words and a roleRef that cannot change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './harness.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.close();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input);
  expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Drops what Go's JSON writes for unset values and the fields the server sets. */
function setFields(value: unknown, parent = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => setFields(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (['uid', 'resourceVersion', 'creationTimestamp', 'managedFields'].includes(k)) continue;
    // kubectl's local object leaves the object's namespace to the server.
    if (parent === 'metadata' && k === 'namespace') continue;
    const kept = setFields(v, k);
    if (kept === null || (typeof kept === 'object' && !Array.isArray(kept) && Object.keys(kept).length === 0)) continue;
    out[k] = kept;
  }
  return out;
}

describe('kubectl create <rbac kind> (protobuf)', () => {
  it.each([
    ['role', ['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods,deployments.apps,pods/log', '--resource-name=a']],
    ['clusterrole', ['create', 'clusterrole', 'crawler', '--verb=get', '--non-resource-url=/logs/*', '--non-resource-url=/healthz']],
    ['clusterrole with an aggregation rule', ['create', 'clusterrole', 'agg', '--aggregation-rule=team=a,tier=b']],
    ['rolebinding', ['create', 'rolebinding', 'readers', '--role=pod-reader', '--user=alice', '--group=devs', '--serviceaccount=default:robot']],
    ['rolebinding to a clusterrole', ['create', 'rolebinding', 'viewers', '--clusterrole=view', '--user=bob']],
    ['clusterrolebinding', ['create', 'clusterrolebinding', 'crawlers', '--clusterrole=crawler', '--group=bots', '--serviceaccount=kube-system:crawler']],
  ])('%s', async (_n, args) => {
    const local = JSON.parse(await ok([...args, '--dry-run=client', '-o', 'json'])) as Record<string, unknown>;
    const stored = JSON.parse(await ok([...args, '-o', 'json'])) as Record<string, unknown>;
    expect(setFields(stored)).toEqual(setFields(local));
  });

  it('get prints kubectl columns; describe reads them', async () => {
    expect(await ok(['get', 'roles'])).toMatch(/^NAME\s+CREATED AT\npod-reader\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    expect(await ok(['get', 'rolebindings', '-o', 'wide'])).toMatch(
      /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nreaders\s+Role\/pod-reader\s+\S+\s+alice\s+devs\s+default\/robot\nviewers\s+ClusterRole\/view\s+\S+\s+bob\s*\n$/,
    );
    expect(await ok(['get', 'clusterrolebinding', 'crawlers'])).toMatch(/^NAME\s+ROLE\s+AGE\ncrawlers\s+ClusterRole\/crawler\s+\S+\n$/);
    const role = await ok(['describe', 'role', 'pod-reader']);
    expect(role).toMatch(/PolicyRule:\n\s+Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n/);
    expect(role).toMatch(/pods\/log\s+\[\]\s+\[a\]\s+\[get list\]/);
    expect(role).toMatch(/deployments\.apps\s+\[\]\s+\[a\]\s+\[get list\]/);
    const binding = await ok(['describe', 'rolebinding', 'readers']);
    expect(binding).toMatch(/Role:\n\s+Kind:\s+Role\n\s+Name:\s+pod-reader\n/);
    expect(binding).toMatch(/ServiceAccount\s+robot\s+default/);
    expect(await ok(['describe', 'clusterrole', 'crawler'])).toMatch(/\n\s+\[\/logs\/\*\]\s+\[\]\s+\[get\]\n/);
  });
});

describe('kubectl apply -f of RBAC objects', () => {
  const role = (verbs: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: applied, labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [${verbs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: applied}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: applied}
subjects:
- {kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: robot, namespace: default}
`;

  it('creates, then patches; a binding keeps its roleRef', async () => {
    expect(await ok(['apply', '-f', '-'], role('get'))).toBe('clusterrole.rbac.authorization.k8s.io/applied created\nclusterrolebinding.rbac.authorization.k8s.io/applied created\n');
    expect(await ok(['apply', '-f', '-'], role('get, list'))).toBe('clusterrole.rbac.authorization.k8s.io/applied configured\nclusterrolebinding.rbac.authorization.k8s.io/applied unchanged\n');
    expect(await ok(['get', 'clusterrole', 'applied', '-o', 'jsonpath={.rules[0].verbs}'])).toBe('["get","list"]');
    // Subjects' apiGroup defaults as Kubernetes sets it.
    expect(await ok(['get', 'clusterrolebinding', 'applied', '-o', 'jsonpath={.subjects[1].apiGroup}|{.roleRef.apiGroup}'])).toBe('|rbac.authorization.k8s.io');
    const changed = await c.kubectl(['apply', '-f', '-'], role('get').replace('name: applied}\nsubjects', 'name: view}\nsubjects'));
    expect(changed.stderr).toContain(
      'The ClusterRoleBinding "applied" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"view"}: cannot change roleRef',
    );
  });

  it('refuses invalid rules and bindings in Kubernetes words', async () => {
    const bad = await c.kubectl(['apply', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: bad}
rules:
- {verbs: [get], nonResourceURLs: [/x]}
- {apiGroups: [""], verbs: []}
`);
    expect(bad.stderr).toContain('The Role "bad" is invalid: ');
    expect(bad.stderr).toContain('rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs');
    expect(bad.stderr).toContain('rules[1].verbs: Required value: verbs must contain at least one value');
    expect(bad.stderr).toContain('rules[1].resources: Required value: resource rules must supply at least one resource');
    const binding = await c.kubectl(['apply', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bad}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: x}
subjects: [{kind: ServiceAccount, name: robot}, {kind: Robot, name: r}]
`);
    expect(binding.stderr).toContain('roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"');
    expect(binding.stderr).toContain('subjects[0].namespace: Required value');
    expect(binding.stderr).toContain('subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"');
  });
});
