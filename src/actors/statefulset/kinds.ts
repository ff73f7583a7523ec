/** The resources the StatefulSet controller reads and writes. */
import { findKind, type ResourceInfo } from '../../api/kinds.ts';

export const STATEFUL_SETS = findKind('apps/v1', 'StatefulSet') as ResourceInfo;
export const CONTROLLER_REVISIONS = findKind('apps/v1', 'ControllerRevision') as ResourceInfo;
export const PODS = findKind('v1', 'Pod') as ResourceInfo;
export const CLAIMS = findKind('v1', 'PersistentVolumeClaim') as ResourceInfo;
