/**
 * The Node authorizer (Kubernetes' `--authorization-mode=Node` with its `system:node` role folded
 * in): what a node's credentials (`system:node:<name>` in group `system:nodes`, client-certificates.ts)
 * may do through the API. Everything else is denied for them — 'deny', not 'no-opinion', so no
 * RBAC binding can widen a node's reach; other users get 'no-opinion' (the next authorizer decides).
 *
 * A node may:
 * - read (get/list/watch) Nodes, Services, Endpoints and EndpointSlices;
 * - create its own Node, update/patch/delete it and its status;
 * - keep its own Lease in `kube-node-lease` (get/create/update/patch/delete);
 * - list and watch Pods; get, delete, and update/patch the status of (and evict) only the pods
 *   bound to it; create none (kactus has no static pods, so no mirror pods);
 * - create/update/patch Events;
 * - get a Secret, ConfigMap, PersistentVolumeClaim or ServiceAccount only when a pod bound to it
 *   references it, a PersistentVolume only when such a pod's claim is bound to it, update a claim's
 *   status likewise, and create a token for such a ServiceAccount — the node graph (node-graph.ts);
 * - create TokenReviews and SubjectAccessReviews, its own Self*Reviews, and read discovery, OpenAPI,
 *   version and health paths.
 *
 * NodeRestriction admission (../admission/node-restriction.ts) checks what the body of an allowed
 * write may change (a Node's labels and taints, a Lease's name at create, a pod status' labels).
 */
import { NODE_USER_PREFIX, NODES_GROUP } from '../../api/user.ts';
import type { AuthorizationAttributes, Authorizer, Decision, ResourceAttributes } from './types.ts';
import type { UserInfo } from '../../api/user.ts';
import type { NodeGraph } from './node-graph.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** What the authorizer asks of the graph. */
export type NodeGraphView = Pick<NodeGraph, 'nodeOfPod' | 'references' | 'referencesVolume'>;

/** The node a user is, as Kubernetes' NodeIdentity: in `system:nodes` and named `system:node:<name>`. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

const READ = new Set(['get', 'list', 'watch']);
/** Non-resource paths every authenticated user reads (system:discovery, system:public-info-viewer). */
const PUBLIC_PATHS = /^\/(api|apis|openapi)(\/.*)?$|^\/(version|healthz|livez|readyz)\/?$/;

const allow = (reason: string): Decision => ({ decision: 'allow', reason });
const deny = (reason: string): Decision => ({ decision: 'deny', reason });

export class NodeAuthorizer implements Authorizer {
  constructor(private readonly graph: NodeGraphView) {}

  authorize(attrs: AuthorizationAttributes): Decision {
    const node = nodeIdentity(attrs.user);
    if (node === undefined) return { decision: 'no-opinion', reason: '' };
    if (!attrs.resourceRequest) {
      return attrs.verb === 'get' && PUBLIC_PATHS.test(attrs.path) ? allow('public path') : deny(`node '${node}' cannot ${attrs.verb} path ${attrs.path}`);
    }
    return this.resource(node, attrs);
  }

  private resource(node: string, a: ResourceAttributes): Decision {
    const what = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const refused = deny(`node '${node}' cannot ${a.verb} ${what}`);
    const own = (name: string): Decision => (name === node ? allow(`own ${what}`) : deny(`node '${node}' cannot ${a.verb} ${what} of node '${name}'`));
    const related = (yes: boolean): Decision => (yes ? allow('related through the node graph') : deny(`no relationship found between node '${node}' and this object`));
    const single = (check: () => boolean): Decision => (a.name === '' ? deny(`node '${node}' can only get individual resources of this type`) : related(check()));

    switch (`${a.apiGroup}/${what}`) {
      case '/nodes':
        if (READ.has(a.verb)) return allow('read nodes');
        if (a.verb === 'create') return a.name === '' ? allow('register its node (NodeRestriction checks the name)') : own(a.name);
        if (['update', 'patch', 'delete'].includes(a.verb)) return own(a.name);
        return refused;
      case '/nodes/status':
        return ['get', 'update', 'patch'].includes(a.verb) ? own(a.name) : refused;
      case '/pods':
        if (a.verb === 'list' || a.verb === 'watch') return allow('list and watch pods');
        if (a.verb === 'get' || a.verb === 'delete') return single(() => this.podOnNode(node, a));
        if (a.verb === 'create') return deny(`node '${node}' cannot create pods: kactus has no static (mirror) pods`);
        return refused;
      case '/pods/status':
        return ['get', 'update', 'patch'].includes(a.verb) ? single(() => this.podOnNode(node, a)) : refused;
      case '/pods/eviction':
        return a.verb === 'create' ? single(() => this.podOnNode(node, a)) : refused;
      case '/services':
      case '/endpoints':
      case 'discovery.k8s.io/endpointslices':
        return READ.has(a.verb) ? allow(`read ${a.resource}`) : refused;
      case '/events':
      case 'events.k8s.io/events':
        return ['create', 'update', 'patch'].includes(a.verb) ? allow('record events') : refused;
      case '/secrets':
      case '/configmaps':
      case '/persistentvolumeclaims':
      case '/serviceaccounts':
        return a.verb === 'get' ? single(() => this.graph.references(node, a.resource as 'secrets', a.namespace, a.name)) : refused;
      case '/persistentvolumeclaims/status':
        return a.verb === 'update' || a.verb === 'patch' ? single(() => this.graph.references(node, 'persistentvolumeclaims', a.namespace, a.name)) : refused;
      case '/persistentvolumes':
        return a.verb === 'get' ? single(() => this.graph.referencesVolume(node, a.name)) : refused;
      case '/serviceaccounts/token':
        return a.verb === 'create' ? single(() => this.graph.references(node, 'serviceaccounts', a.namespace, a.name)) : refused;
      case 'coordination.k8s.io/leases':
        if (a.namespace !== NODE_LEASE_NAMESPACE || !['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return deny(`node '${node}' can only access leases in ${NODE_LEASE_NAMESPACE} by name`);
        return a.verb === 'create' && a.name === '' ? allow('create its lease (NodeRestriction checks the name)') : own(a.name);
      case 'authentication.k8s.io/tokenreviews':
      case 'authorization.k8s.io/subjectaccessreviews':
      case 'authentication.k8s.io/selfsubjectreviews':
      case 'authorization.k8s.io/selfsubjectaccessreviews':
      case 'authorization.k8s.io/selfsubjectrulesreviews':
        return a.verb === 'create' ? allow(`create ${a.resource}`) : refused;
      default:
        return refused;
    }
  }

  private podOnNode(node: string, a: ResourceAttributes): boolean {
    return this.graph.nodeOfPod(a.namespace, a.name) === node;
  }
}
