/**
 * Generates src/api/generated/schemas.json: OpenAPI-style definitions for every Kubernetes type,
 * keyed by Kubernetes' canonical names (`io.k8s.api.core.v1.Pod`).
 *
 * Sources (all already in node_modules, nothing fetched):
 * - kubernetes-types (k8s 1.30 TypeScript declarations, field docs in JSDoc): fields, types,
 *   required lists, descriptions — read with the TypeScript compiler API;
 * - kubernetes-client's genuine swagger-1.13 document: integer vs number and int32/int64 formats,
 *   and the strategic-merge-patch metadata (`x-kubernetes-patch-strategy` / `-merge-key`);
 * - PATCH_META_SINCE_1_13 below: patch metadata for fields added after 1.13 (checked against
 *   the `patchStrategy`/`patchMergeKey` struct tags in kubernetes/kubernetes).
 *
 * Re-run with `node --import tsx scripts/gen-schemas.ts`; the output is deterministic.
 */
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

type JsonSchema = Record<string, unknown>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const typesDir = join(root, 'node_modules/kubernetes-types');
const swaggerPath = join(root, 'node_modules/kubernetes-client/lib/specs/swagger-1.13.json.gz');
const outPath = join(root, 'src/api/generated/schemas.json');

/** Patch metadata for fields that are newer than swagger-1.13 (from the Go struct tags). */
const PATCH_META_SINCE_1_13: Record<string, Record<string, JsonSchema>> = {
  'io.k8s.api.core.v1.PodSpec': {
    ephemeralContainers: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' },
    topologySpreadConstraints: {
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'topologyKey',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['topologyKey', 'whenUnsatisfiable'],
    },
    schedulingGates: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' },
    resourceClaims: { 'x-kubernetes-patch-strategy': 'merge,retainKeys', 'x-kubernetes-patch-merge-key': 'name' },
  },
  'io.k8s.api.core.v1.PodStatus': {
    podIPs: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'ip' },
    hostIPs: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'ip' },
    resourceClaimStatuses: { 'x-kubernetes-patch-strategy': 'merge,retainKeys', 'x-kubernetes-patch-merge-key': 'name' },
  },
  'io.k8s.api.core.v1.EphemeralContainer': {
    env: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' },
    ports: {
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'containerPort',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
    },
    volumeMounts: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'mountPath' },
    volumeDevices: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'devicePath' },
  },
  'io.k8s.api.core.v1.Container': {
    ports: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'] },
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    ports: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'] },
  },
  'io.k8s.api.core.v1.NodeSpec': {
    podCIDRs: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
  },
  'io.k8s.api.core.v1.ServiceStatus': {
    conditions: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type' },
  },
  'io.k8s.api.core.v1.NamespaceStatus': {
    conditions: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type' },
  },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': {
    conditions: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type' },
  },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': {
    conditions: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type' },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    finalizers: { 'x-kubernetes-list-type': 'set' },
    ownerReferences: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['uid'] },
  },
};

/** Fields Kubernetes declares as float64; every other TypeScript `number` unknown to swagger-1.13 is an integer. */
const FLOAT_FIELDS = new Set(['maximum', 'minimum', 'multipleOf']);

/** Canonical definition-name prefix for a kubernetes-types file (`apps/v1.d.ts` -> `io.k8s.api.apps.v1`). */
function packagePrefix(file: string): string {
  const rel = relative(typesDir, file).split(sep).join('/').replace(/\.d\.ts$/, '');
  const special: Record<string, string> = {
    'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
    runtime: 'io.k8s.apimachinery.pkg.runtime',
    'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
    version: 'io.k8s.apimachinery.pkg.version',
    'apiextensions/v1': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
  };
  return special[rel] ?? `io.k8s.api.${rel.replace('/', '.')}`;
}

function declarationFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return declarationFiles(path);
      return name.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}

interface SwaggerDoc {
  definitions: Record<string, { properties?: Record<string, JsonSchema> }>;
}

const swagger = JSON.parse(gunzipSync(readFileSync(swaggerPath)).toString('utf8')) as SwaggerDoc;

/** Same-named definitions of other versions of one group (`io.k8s.api.apps.v1beta2.X` for `io.k8s.api.apps.v1.X`). */
function swaggerCandidates(canonical: string): JsonSchema[] {
  const parts = canonical.split('.');
  const short = parts[parts.length - 1];
  const groupPrefix = parts.slice(0, -2).join('.');
  const exact = swagger.definitions[canonical];
  const others = Object.entries(swagger.definitions)
    .filter(([name]) => name !== canonical && name.startsWith(`${groupPrefix}.`) && name.endsWith(`.${short}`))
    .sort(([a], [b]) => b.localeCompare(a))
    .map(([, def]) => def);
  return [exact, ...others].filter((d): d is JsonSchema => d !== undefined);
}

function swaggerProperty(canonical: string, prop: string): JsonSchema | undefined {
  for (const def of swaggerCandidates(canonical)) {
    const props = def.properties as Record<string, JsonSchema> | undefined;
    if (props?.[prop]) return props[prop];
  }
  return undefined;
}

function docOf(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const text = docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n').trim();
  return text === '' ? undefined : text;
}

/** Resolves type names used in one file to canonical definition names, following its imports. */
function nameResolver(sf: ts.SourceFile): (name: string) => string {
  const imported = new Map<string, string>();
  for (const stmt of sf.statements) {
    if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
    const target = resolve(dirname(sf.fileName), `${stmt.moduleSpecifier.text}.d.ts`);
    const bindings = stmt.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) {
      for (const el of bindings.elements) imported.set(el.name.text, `${packagePrefix(target)}.${el.name.text}`);
    }
  }
  const own = packagePrefix(sf.fileName);
  return (name) => imported.get(name) ?? `${own}.${name}`;
}

/** Numeric schema for a field: swagger-1.13's type and format where the field exists there. */
function numberSchema(owner: string, prop: string, inArray: boolean): JsonSchema {
  const known = swaggerProperty(owner, prop);
  const source = inArray ? (known?.items as JsonSchema | undefined) : known;
  if (source && (source.type === 'integer' || source.type === 'number')) {
    return source.format ? { type: source.type, format: source.format } : { type: source.type };
  }
  return FLOAT_FIELDS.has(prop) ? { type: 'number', format: 'double' } : { type: 'integer' };
}

function typeSchema(node: ts.TypeNode, owner: string, prop: string, resolveName: (n: string) => string): JsonSchema {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: 'string' };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
    case ts.SyntaxKind.NumberKeyword:
      return numberSchema(owner, prop, false);
  }
  if (ts.isLiteralTypeNode(node)) return { type: typeof (node.literal as ts.StringLiteral).text === 'string' ? 'string' : 'object' };
  if (ts.isUnionTypeNode(node)) {
    const kinds = node.types.map((t) => t.kind).sort();
    if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) {
      return { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
    }
    return { 'x-kubernetes-preserve-unknown-fields': true };
  }
  if (ts.isArrayTypeNode(node)) {
    return { type: 'array', items: typeSchema(node.elementType, owner, prop, resolveName) };
  }
  if (ts.isTypeLiteralNode(node)) {
    const index = node.members.find(ts.isIndexSignatureDeclaration);
    if (index) return { type: 'object', additionalProperties: typeSchema(index.type, owner, prop, resolveName) };
    return { type: 'object' };
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === 'Array' && node.typeArguments?.length === 1) {
      const arg = node.typeArguments[0];
      const items =
        arg.kind === ts.SyntaxKind.NumberKeyword ? numberSchema(owner, prop, true) : typeSchema(arg, owner, prop, resolveName);
      return { type: 'array', items };
    }
    return { $ref: `#/definitions/${resolveName(name)}` };
  }
  throw new Error(`unsupported type syntax ${ts.SyntaxKind[node.kind]} at ${owner}.${prop}`);
}

function interfaceSchema(decl: ts.InterfaceDeclaration, canonical: string, resolveName: (n: string) => string): JsonSchema {
  const description = docOf(decl);
  const props = decl.members.filter(ts.isPropertySignature);
  if (props.length === 0) {
    // Empty interfaces are Go's free-form types: RawExtension, FieldsV1 (objects) and JSON (any value).
    const free: JsonSchema = { 'x-kubernetes-preserve-unknown-fields': true };
    if (!canonical.endsWith('.JSON')) free.type = 'object';
    return description ? { description, ...free } : free;
  }
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  let apiVersion: string | undefined;
  let kind: string | undefined;
  for (const p of props) {
    const name = p.name.getText().replace(/^"|"$/g, '');
    if (!p.type) continue;
    if (ts.isLiteralTypeNode(p.type) && ts.isStringLiteral(p.type.literal)) {
      if (name === 'apiVersion') apiVersion = p.type.literal.text;
      if (name === 'kind') kind = p.type.literal.text;
    }
    const schema: JsonSchema = {};
    const doc = docOf(p);
    if (doc) schema.description = doc;
    Object.assign(schema, typeSchema(p.type, canonical, name, resolveName));
    const known = swaggerProperty(canonical, name);
    for (const ext of ['x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key']) {
      if (known?.[ext] !== undefined) schema[ext] = known[ext];
    }
    Object.assign(schema, PATCH_META_SINCE_1_13[canonical]?.[name]);
    properties[name] = schema;
    if (!p.questionToken) required.push(name);
  }
  const out: JsonSchema = {};
  if (description) out.description = description;
  out.type = 'object';
  out.properties = properties;
  if (required.length > 0) out.required = required;
  if (apiVersion && kind) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    out['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
  }
  return out;
}

/** Type aliases kubernetes-types declares for Go types with custom JSON forms. */
function aliasSchema(decl: ts.TypeAliasDeclaration, canonical: string): JsonSchema | undefined {
  const description = docOf(decl);
  const withDoc = (s: JsonSchema): JsonSchema => (description ? { description, ...s } : s);
  const short = decl.name.text;
  if (short === 'Time' || short === 'MicroTime') return withDoc({ type: 'string', format: 'date-time' });
  if (short === 'Quantity') {
    // Go accepts a JSON number or string for a Quantity ("1", 1, 0.5, "500m").
    return withDoc({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'number' }, { type: 'string' }] });
  }
  if (canonical.startsWith('io.k8s.apiextensions-apiserver')) return withDoc({ 'x-kubernetes-preserve-unknown-fields': true });
  return undefined;
}

function generate(): Record<string, JsonSchema> {
  const files = declarationFiles(typesDir);
  const definitions: Record<string, JsonSchema> = {};
  for (const file of files) {
    // Parent pointers on, so getText() and JSDoc lookups work on the syntax tree alone.
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const resolveName = nameResolver(sf);
    const prefix = packagePrefix(file);
    for (const stmt of sf.statements) {
      if (ts.isInterfaceDeclaration(stmt)) {
        const canonical = `${prefix}.${stmt.name.text}`;
        definitions[canonical] = interfaceSchema(stmt, canonical, resolveName);
      } else if (ts.isTypeAliasDeclaration(stmt)) {
        const canonical = `${prefix}.${stmt.name.text}`;
        const schema = aliasSchema(stmt, canonical);
        if (!schema) throw new Error(`no mapping for type alias ${canonical}`);
        definitions[canonical] = schema;
      }
    }
  }
  const sorted: Record<string, JsonSchema> = {};
  for (const name of Object.keys(definitions).sort()) sorted[name] = definitions[name];
  for (const [name, def] of Object.entries(sorted)) assertRefsResolve(name, def, sorted);
  return sorted;
}

function assertRefsResolve(owner: string, node: unknown, definitions: Record<string, JsonSchema>): void {
  if (Array.isArray(node)) return node.forEach((n) => assertRefsResolve(owner, n, definitions));
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && !definitions[v.replace('#/definitions/', '')]) {
      throw new Error(`${owner}: dangling ${v}`);
    }
    assertRefsResolve(owner, v, definitions);
  }
}

const typesVersion = (JSON.parse(readFileSync(join(typesDir, 'package.json'), 'utf8')) as { version: string }).version;
const definitions = generate();
const body = {
  $comment: `Generated by scripts/gen-schemas.ts from kubernetes-types ${typesVersion} and swagger-1.13 patch metadata. Do not edit.`,
  definitions,
};
writeFileSync(outPath, `${JSON.stringify(body)}\n`);
console.log(`wrote ${Object.keys(definitions).length} definitions to ${relative(root, outPath)}`);
