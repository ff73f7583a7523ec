import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../../api/user.ts';
import { NodeAuthorizer, nodeIdentity, type NodeGraphView } from './node.ts';
import type { AuthorizationAttributes } from './types.ts';

/** A fixed graph: pod default/a on n1 (secret s1, configmap c1, claim pvc1 → pv1, account sa1), pod default/b on n2 (secret s2). */
const graph: NodeGraphView = {
  nodeOfPod: (ns, name) => (({ 'default/a': 'n1', 'default/b': 'n2' }) as Record<string, string>)[`${ns}/${name}`],
  references: (node, resource, ns, name) =>
    (
      ({
        n1: ['secrets/default/s1', 'configmaps/default/c1', 'persistentvolumeclaims/default/pvc1', 'serviceaccounts/default/sa1'],
        n2: ['secrets/default/s2'],
      }) as Record<string, string[]>
    )[node]?.includes(`${resource}/${ns}/${name}`) ?? false,
  referencesVolume: (node, name) => node === 'n1' && name === 'pv1',
};
const authorizer = new NodeAuthorizer(graph);

const n1: UserInfo = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const alice: UserInfo = { name: 'alice', groups: ['dev', 'system:authenticated'] };

type Row = [verb: string, group: string, resource: string, subresource: string, namespace: string, name: string, expected: 'allow' | 'deny'];

const at = (user: UserInfo, [verb, apiGroup, resource, subresource, namespace, name]: Row): AuthorizationAttributes => ({
  user,
  resourceRequest: true,
  verb,
  apiGroup,
  resource,
  subresource,
  namespace,
  name,
});

// What node n1 may do; derived from Kubernetes' node authorizer and system:node role, not from the code.
const TABLE: Row[] = [
  ['get', '', 'nodes', '', '', 'n2', 'allow'],
  ['list', '', 'nodes', '', '', '', 'allow'],
  ['watch', '', 'nodes', '', '', '', 'allow'],
  ['create', '', 'nodes', '', '', '', 'allow'],
  ['update', '', 'nodes', '', '', 'n1', 'allow'],
  ['patch', '', 'nodes', '', '', 'n1', 'allow'],
  ['patch', '', 'nodes', '', '', 'n2', 'deny'],
  ['update', '', 'nodes', 'status', '', 'n1', 'allow'],
  ['patch', '', 'nodes', 'status', '', 'n2', 'deny'],
  ['delete', '', 'nodes', '', '', 'n2', 'deny'],
  ['deletecollection', '', 'nodes', '', '', '', 'deny'],
  ['get', 'coordination.k8s.io', 'leases', '', 'kube-node-lease', 'n1', 'allow'],
  ['update', 'coordination.k8s.io', 'leases', '', 'kube-node-lease', 'n1', 'allow'],
  ['create', 'coordination.k8s.io', 'leases', '', 'kube-node-lease', '', 'allow'],
  ['update', 'coordination.k8s.io', 'leases', '', 'kube-node-lease', 'n2', 'deny'],
  ['list', 'coordination.k8s.io', 'leases', '', 'kube-node-lease', '', 'deny'],
  ['get', 'coordination.k8s.io', 'leases', '', 'kube-system', 'kactus-controller-manager', 'deny'],
  ['list', '', 'pods', '', '', '', 'allow'],
  ['watch', '', 'pods', '', 'default', '', 'allow'],
  ['get', '', 'pods', '', 'default', 'a', 'allow'],
  ['get', '', 'pods', '', 'default', 'b', 'deny'],
  ['get', '', 'pods', '', 'default', 'unknown', 'deny'],
  ['create', '', 'pods', '', 'default', '', 'deny'],
  ['update', '', 'pods', '', 'default', 'a', 'deny'],
  ['delete', '', 'pods', '', 'default', 'a', 'allow'],
  ['delete', '', 'pods', '', 'default', 'b', 'deny'],
  ['update', '', 'pods', 'status', 'default', 'a', 'allow'],
  ['patch', '', 'pods', 'status', 'default', 'b', 'deny'],
  ['create', '', 'pods', 'eviction', 'default', 'a', 'allow'],
  ['create', '', 'pods', 'exec', 'default', 'a', 'deny'],
  ['get', '', 'pods', 'log', 'default', 'a', 'deny'],
  ['create', '', 'pods', 'binding', 'default', 'a', 'deny'],
  ['get', '', 'services', '', 'default', 'kubernetes', 'allow'],
  ['list', '', 'endpoints', '', '', '', 'allow'],
  ['watch', 'discovery.k8s.io', 'endpointslices', '', '', '', 'allow'],
  ['create', '', 'services', '', 'default', '', 'deny'],
  ['create', '', 'events', '', 'default', '', 'allow'],
  ['patch', 'events.k8s.io', 'events', '', 'default', 'e', 'allow'],
  ['delete', '', 'events', '', 'default', 'e', 'deny'],
  ['get', '', 'secrets', '', 'default', 's1', 'allow'],
  ['get', '', 'secrets', '', 'default', 's2', 'deny'],
  ['get', '', 'secrets', '', 'other', 's1', 'deny'],
  ['list', '', 'secrets', '', 'default', '', 'deny'],
  ['watch', '', 'secrets', '', '', '', 'deny'],
  ['update', '', 'secrets', '', 'default', 's1', 'deny'],
  ['get', '', 'configmaps', '', 'default', 'c1', 'allow'],
  ['get', '', 'configmaps', '', 'default', 'c2', 'deny'],
  ['get', '', 'persistentvolumeclaims', '', 'default', 'pvc1', 'allow'],
  ['patch', '', 'persistentvolumeclaims', 'status', 'default', 'pvc1', 'allow'],
  ['get', '', 'persistentvolumes', '', '', 'pv1', 'allow'],
  ['get', '', 'persistentvolumes', '', '', 'pv2', 'deny'],
  ['get', '', 'serviceaccounts', '', 'default', 'sa1', 'allow'],
  ['create', '', 'serviceaccounts', 'token', 'default', 'sa1', 'allow'],
  ['create', '', 'serviceaccounts', 'token', 'default', 'default', 'deny'],
  ['create', 'authentication.k8s.io', 'tokenreviews', '', '', '', 'allow'],
  ['create', 'authorization.k8s.io', 'selfsubjectaccessreviews', '', '', '', 'allow'],
  ['get', 'apps', 'deployments', '', 'default', 'web', 'deny'],
  ['list', '', 'namespaces', '', '', '', 'deny'],
  ['create', 'rbac.authorization.k8s.io', 'clusterrolebindings', '', '', '', 'deny'],
];

describe('the Node authorizer', () => {
  it.each(TABLE)('%s %s/%s/%s in %s named %s: %s', (...row) => {
    const d = authorizer.authorize(at(n1, row));
    expect(d.decision).toBe(row[6]);
    expect(d.reason).not.toBe('');
  });

  it('has no opinion on users that are not nodes, whatever they ask', () => {
    for (const row of TABLE) expect(authorizer.authorize(at(alice, row)).decision).toBe('no-opinion');
    // In system:nodes but not named system:node:<name> (and the reverse): not a node (Kubernetes' NodeIdentity).
    expect(authorizer.authorize(at({ name: 'kubelet', groups: ['system:nodes'] }, TABLE[0]!)).decision).toBe('no-opinion');
    expect(authorizer.authorize(at({ name: 'system:node:n1', groups: ['dev'] }, TABLE[0]!)).decision).toBe('no-opinion');
    expect(authorizer.authorize(at({ name: 'system:node:', groups: ['system:nodes'] }, TABLE[0]!)).decision).toBe('no-opinion');
  });

  it('lets a node read discovery and health paths, nothing else outside resources', () => {
    const path = (verb: string, p: string) => authorizer.authorize({ user: n1, resourceRequest: false, verb, path: p }).decision;
    expect(path('get', '/api')).toBe('allow');
    expect(path('get', '/apis/apps/v1')).toBe('allow');
    expect(path('get', '/openapi/v3')).toBe('allow');
    expect(path('get', '/version')).toBe('allow');
    expect(path('get', '/healthz')).toBe('allow');
    expect(path('get', '/metrics')).toBe('deny');
    expect(path('get', '/kactus/v1/machines')).toBe('deny');
    expect(path('post', '/api')).toBe('deny');
  });

  it('names the node of a user', () => {
    expect(nodeIdentity(n1)).toBe('n1');
    expect(nodeIdentity(alice)).toBeUndefined();
  });

  it('words a refusal as Kubernetes does', () => {
    expect(authorizer.authorize(at(n1, ['get', '', 'secrets', '', 'default', 's2', 'deny'])).reason).toBe("no relationship found between node 'n1' and this object");
  });
});
