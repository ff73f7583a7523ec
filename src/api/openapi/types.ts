/**
 * The slice of a kind-registry entry (src/api/kinds.ts `ResourceInfo`) that the OpenAPI
 * documents need. Any `ResourceInfo` is assignable to it.
 */
export interface OpenApiResource {
  /** API group; `""` for the core group (served under /api/v1). */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Defaults to `${kind}List`. */
  readonly listKind?: string;
  /** Plural resource name in URLs (`deployments`). */
  readonly resource: string;
  readonly namespaced: boolean;
  /** Subresources served, e.g. `['status', 'scale']`; `scale` uses autoscaling/v1 Scale. */
  readonly subresources?: readonly string[];
  /** Verbs served; `['create']` alone (a review kind) gets only the collection's POST. Default: all. */
  readonly verbs?: readonly string[];
}

/** A document serialized once, with its content hash (upper-case hex SHA-512, as Kubernetes) and ETag. */
export interface SerializedDocument {
  readonly json: string;
  readonly hash: string;
  /** Quoted strong ETag derived from hash. */
  readonly etag: string;
}
