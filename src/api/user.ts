/** Who made a request (Kubernetes' user.Info): what authentication yields and authorization reads. */
export interface UserInfo {
  name: string;
  groups: string[];
  /** A ServiceAccount's uid (absent for the admin and node tokens). */
  uid?: string;
  /** What else the authenticator knows (a ServiceAccount token's pod and node, its credential id). */
  extra?: Record<string, string[]>;
}

/** Node credentials name their node: user `system:node:<name>` in group `system:nodes` (Kubernetes' convention). */
export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';
