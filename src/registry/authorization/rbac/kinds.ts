/** The four RBAC resources, as served (src/api/kinds.ts). */
import { findResource, type ResourceInfo } from '../../../api/kinds.ts';
import { RBAC_GROUP } from '../../../api/rbac/names.ts';

const rbac = (resource: string): ResourceInfo => findResource(RBAC_GROUP, 'v1', resource)!;

export const ROLES = rbac('roles');
export const CLUSTER_ROLES = rbac('clusterroles');
export const ROLE_BINDINGS = rbac('rolebindings');
export const CLUSTER_ROLE_BINDINGS = rbac('clusterrolebindings');
