/** The resources the DaemonSet controller reads and writes. */
import { findKind, type ResourceInfo } from '../../api/kinds.ts';

export const DAEMON_SETS = findKind('apps/v1', 'DaemonSet') as ResourceInfo;
export const CONTROLLER_REVISIONS = findKind('apps/v1', 'ControllerRevision') as ResourceInfo;
export const PODS = findKind('v1', 'Pod') as ResourceInfo;
export const NODES = findKind('v1', 'Node') as ResourceInfo;
