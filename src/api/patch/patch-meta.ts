import { definitions, resolveRef, type SchemaObject } from '../generated/schemas.ts';

/** How a strategic merge patch treats one field, read from `x-kubernetes-patch-*` metadata. */
export interface FieldPatchMeta {
  /** `merge` merges lists (by mergeKey, or as a set for primitives); `replace` replaces maps. */
  readonly strategy: 'merge' | 'replace' | undefined;
  /** The key that identifies list elements (`name` for containers), when the list holds objects. */
  readonly mergeKey: string | undefined;
  /** Schema of the field's value: the object schema for a map, the element schema for a list. */
  readonly value: PatchSchema;
}

/**
 * A position in the schema tree while walking an object and its patch side by side. Unknown
 * fields and free-form objects yield an empty schema: their lists replace and maps merge, the
 * same result the Kubernetes API server gives for fields without metadata.
 */
export class PatchSchema {
  private constructor(private readonly node: SchemaObject | undefined) {}

  /** The schema for a definition name, e.g. `io.k8s.api.core.v1.Pod`; unknown names give an empty schema. */
  static forDefinition(name: string): PatchSchema {
    return new PatchSchema(definitions[name]);
  }

  /** Metadata and value schema for field `key` of the object this schema describes. */
  field(key: string): FieldPatchMeta {
    const node = this.node;
    const prop = node?.properties?.[key] ?? node?.additionalProperties;
    if (!prop) return { strategy: undefined, mergeKey: undefined, value: new PatchSchema(undefined) };
    const value = prop.type === 'array' || prop.items ? prop.items : prop;
    return {
      strategy: parseStrategy(prop['x-kubernetes-patch-strategy']),
      mergeKey: prop['x-kubernetes-patch-merge-key'],
      value: new PatchSchema(dereference(value)),
    };
  }
}

function dereference(node: SchemaObject | undefined): SchemaObject | undefined {
  let current = node;
  // Refs may chain (a property referring to an alias definition); a small bound stops cycles.
  for (let i = 0; i < 8 && current?.$ref; i++) current = resolveRef(current.$ref);
  return current;
}

/**
 * `retainKeys` only matters when computing a patch (the client then sends `$retainKeys`), so it is
 * dropped here; what is left must be one of Kubernetes' two merge strategies.
 */
function parseStrategy(raw: string | undefined): 'merge' | 'replace' | undefined {
  if (!raw) return undefined;
  const rest = raw.split(',').filter((s) => s !== 'retainKeys');
  if (rest.length === 0) return undefined;
  if (rest.length === 1 && (rest[0] === 'merge' || rest[0] === 'replace')) return rest[0];
  throw new Error(`schemas.json holds an unknown patch strategy: ${raw}`);
}
