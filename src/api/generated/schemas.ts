import { readFileSync } from 'node:fs';

/**
 * One OpenAPI-style schema node from schemas.json. Only the keys kactus reads are typed; the
 * generator also writes `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `format`, `anyOf`.
 */
export interface SchemaObject {
  readonly description?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly format?: string;
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly required?: readonly string[];
  readonly items?: SchemaObject;
  readonly additionalProperties?: SchemaObject;
  readonly anyOf?: readonly SchemaObject[];
  readonly 'x-kubernetes-patch-strategy'?: string;
  readonly 'x-kubernetes-patch-merge-key'?: string;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-group-version-kind'?: readonly GroupVersionKind[];
}

/** A `x-kubernetes-group-version-kind` entry; `group` is `""` for the core group. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** Prefix of every `$ref` in schemas.json (OpenAPI v2 style; the v3 documents rewrite it). */
export const DEFINITION_REF_PREFIX = '#/definitions/';

interface SchemasFile {
  readonly definitions: Readonly<Record<string, SchemaObject>>;
}

// Read once at module load rather than `import ... with { type: 'json' }`: typing a 900 KB JSON
// module would slow `tsc` for the whole tree.
const file = JSON.parse(readFileSync(new URL('./schemas.json', import.meta.url), 'utf8')) as SchemasFile;

/** Every Kubernetes 1.30 type, keyed by canonical name (`io.k8s.api.core.v1.Pod`). Never mutate. */
export const definitions: Readonly<Record<string, SchemaObject>> = file.definitions;

/** The definition a `$ref` points at, or undefined when it names nothing. */
export function resolveRef(ref: string): SchemaObject | undefined {
  return ref.startsWith(DEFINITION_REF_PREFIX) ? definitions[ref.slice(DEFINITION_REF_PREFIX.length)] : undefined;
}

/** Canonical definition name of a top-level kind (`apps`, `v1`, `Deployment` -> `io.k8s.api.apps.v1.Deployment`). */
export function definitionNameForKind(group: string, version: string, kind: string): string | undefined {
  return kindIndex.get(`${group}/${version}/${kind}`);
}

const kindIndex = new Map<string, string>();
for (const [name, def] of Object.entries(definitions)) {
  for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) kindIndex.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
}
