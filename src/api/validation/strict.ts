/**
 * Strict field validation (`fieldValidation=Strict`): fields the schema does not declare are
 * errors, reported as Kubernetes' strict decoder does (`unknown field "spec.foo"`); under Warn and
 * Ignore they are pruned before the object is stored. The ajv
 * validators accept unknown fields, so this walks the object against the property lists of the
 * generated definitions (src/api/generated/schemas.json, owned by src/api/openapi/).
 */
import type { ResourceInfo } from '../kinds.ts';
import { child, index, unknownField, type FieldError } from '../field.ts';
import { isRecord } from '../object.ts';

/** The slice of an OpenAPI schema node the walk reads. */
export interface SchemaNode {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** Where the walk finds definitions: the root schema of a kind, and `$ref` targets. */
export interface SchemaLookup {
  rootFor(info: ResourceInfo): SchemaNode | undefined;
  resolve(ref: string): SchemaNode | undefined;
}

/** Unknown-field errors for `obj` against `lookup`; [] when the kind has no schema. */
export function unknownFields(info: ResourceInfo, obj: unknown, lookup: SchemaLookup): FieldError[] {
  const out: FieldError[] = [];
  visitUnknown(info, obj, lookup, (_container, _key, path) => out.push(unknownField(path)));
  return out;
}

/**
 * Deletes (in place) every field the schema does not declare, as Kubernetes' decoder drops them
 * from built-in kinds under `fieldValidation=Warn|Ignore`: nothing undeclared is ever stored.
 */
export function pruneUnknownFields(info: ResourceInfo, obj: unknown, lookup: SchemaLookup): void {
  visitUnknown(info, obj, lookup, (container, key) => delete container[key]);
}

type UnknownVisitor = (container: Record<string, unknown>, key: string, path: string) => void;

function visitUnknown(info: ResourceInfo, obj: unknown, lookup: SchemaLookup, visit: UnknownVisitor): void {
  const root = lookup.rootFor(info);
  if (root) walk(root, obj, '', lookup, visit, 0);
}

// Deep enough for any real object; stops a self-referencing schema (JSONSchemaProps) from looping.
const MAX_DEPTH = 64;

function walk(schema: SchemaNode, value: unknown, path: string, lookup: SchemaLookup, visit: UnknownVisitor, depth: number): void {
  if (depth > MAX_DEPTH) return;
  let node: SchemaNode | undefined = schema;
  if (node.$ref) node = lookup.resolve(node.$ref);
  if (!node || node['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    if (node.items) value.forEach((v, i) => walk(node.items as SchemaNode, v, index(path, i), lookup, visit, depth + 1));
    return;
  }
  if (!isRecord(value)) return;
  if (node.properties) {
    // Object.entries is a snapshot: the visitor may delete the key it is given.
    for (const [key, v] of Object.entries(value)) {
      const prop = node.properties[key];
      if (prop) walk(prop, v, child(path, key), lookup, visit, depth + 1);
      else visit(value, key, child(path, key));
    }
    return;
  }
  const additional = node.additionalProperties;
  if (isRecord(additional)) {
    for (const [key, v] of Object.entries(value)) walk(additional, v, child(path, key), lookup, visit, depth + 1);
  }
}

let generated: Promise<SchemaLookup> | undefined;

/** The lookup over src/api/generated/schemas.json, loaded on first use. */
export function generatedSchemas(): Promise<SchemaLookup> {
  generated ??= import('../generated/schemas.ts').then((m) => ({
    rootFor: (info: ResourceInfo) => {
      const name = m.definitionNameForKind(info.group, info.version, info.kind);
      return name ? m.definitions[name] : undefined;
    },
    resolve: (ref: string) => m.resolveRef(ref),
  }));
  return generated;
}

