/** The namespaces every cluster has from the start, as Kubernetes makes them. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

/** Where each node's heartbeat Lease lives (`kube-node-lease/<node>`). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
