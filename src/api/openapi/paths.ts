/**
 * OpenAPI v3 `paths` for resources, shaped like the Kubernetes API server's own documents.
 *
 * Two details kubectl depends on (client-go/cli-runtime, kubectl 1.32):
 * - query_param_verifier_v3.go looks for a PATCH *operation* carrying
 *   `x-kubernetes-group-version-kind` = the object's GVK and a parameter named `fieldValidation`
 *   among that operation's own `parameters` (path-level parameters are not consulted). Finding
 *   it, kubectl skips client-side schema validation and lets the server validate
 *   (`fieldValidation=Strict`).
 * - apply/patcher.go computes strategic merge patches from OpenAPI v3 only when that PATCH
 *   operation's requestBody accepts `application/strategic-merge-patch+json`.
 * Parameters are therefore written inline (not as `$ref`s), as Kubernetes does.
 */
import { DEFINITION_REF_PREFIX } from '../generated/schemas.ts';
import { PATCH_TYPES } from '../patch/index.ts';
import { apiPrefix, groupVersionOf, operationIdInfix } from './group-version.ts';
import type { OpenApiResource } from './types.ts';

type Json = Record<string, unknown>;

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const SCALE_DEFINITION = 'io.k8s.api.autoscaling.v1.Scale';
export const TOKEN_REQUEST_DEFINITION = 'io.k8s.api.authentication.v1.TokenRequest';
const V3_REF_PREFIX = '#/components/schemas/';

/** `$ref` to a component schema. */
export function componentRef(definition: string): Json {
  return { $ref: `${V3_REF_PREFIX}${definition}` };
}

/** Rewrites schemas.json's v2-style `#/definitions/` refs to v3 component refs. */
export function v3Ref(ref: string): string {
  return ref.startsWith(DEFINITION_REF_PREFIX) ? `${V3_REF_PREFIX}${ref.slice(DEFINITION_REF_PREFIX.length)}` : ref;
}

const query = (name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): Json => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const P = {
  pretty: query('pretty', "If 'true', then the output is pretty printed."),
  dryRun: query('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: query('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: query(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict: fail the request on unknown or duplicate fields.',
  ),
  force: query('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.', 'boolean'),
  gracePeriodSeconds: query('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
  propagationPolicy: query('propagationPolicy', "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'."),
  orphanDependents: query('orphanDependents', 'Deprecated: please use the PropagationPolicy.', 'boolean'),
} satisfies Record<string, Json>;

const LIST_PARAMS: Json[] = [
  query('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  query('continue', 'The continue option should be set when retrieving more results from the server.'),
  query('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  query('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  query('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  query('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  query('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  query('sendInitialEvents', 'sendInitialEvents=true may be set together with watch=true.', 'boolean'),
  query('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  query('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
];

const pathParam = (name: string, description: string): Json => ({
  name,
  in: 'path',
  description,
  required: true,
  schema: { type: 'string', uniqueItems: true },
});

const jsonContent = (schema: Json): Json => ({
  'application/json': { schema },
  'application/yaml': { schema },
});

interface Target {
  /** Definition name of the object this path reads and writes, or undefined for kinds without a schema. */
  readonly definition: string | undefined;
  readonly gvk: { group: string; version: string; kind: string };
}

const objectSchema = (t: Target): Json => (t.definition ? componentRef(t.definition) : { type: 'object' });

function operation(action: string, id: string, t: Target, extra: Json, okCode: string, description: string): Json {
  return {
    tags: [],
    description,
    operationId: id,
    ...extra,
    responses: {
      [okCode]: { description: 'OK', content: jsonContent(objectSchema(t)) },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': t.gvk,
  };
}

function body(schema: Json): Json {
  return { requestBody: { content: jsonContent(schema), required: true } };
}

/** Read, replace and patch of one object (the object itself or a subresource of it). */
function itemOperations(id: string, t: Target, what: string): Json {
  // Kinds with no schema get no strategic merge patch, as Kubernetes does for custom resources.
  const patchTypes = t.definition ? PATCH_TYPES : PATCH_TYPES.filter((p) => p !== 'application/strategic-merge-patch+json');
  const patchSchema = componentRef(`${META}.Patch`);
  return {
    get: operation('get', `read${id}`, t, {}, '200', `read the specified ${what}`),
    put: operation('put', `replace${id}`, t, { parameters: [P.dryRun, P.fieldManager, P.fieldValidation], ...body(objectSchema(t)) }, '200', `replace the specified ${what}`),
    patch: operation(
      'patch',
      `patch${id}`,
      t,
      {
        parameters: [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
        requestBody: { content: Object.fromEntries(patchTypes.map((p) => [p, { schema: patchSchema }])), required: true },
      },
      '200',
      `partially update the specified ${what}`,
    ),
  };
}

/** Definition names a resource's operations refer to, besides the shared meta types. */
export interface ResourcePaths {
  readonly paths: Record<string, Json>;
  readonly definitions: readonly string[];
}

/** All paths for one resource: collection, item, all-namespaces list, and its subresources. */
export function resourcePaths(r: OpenApiResource, definition: string | undefined, listDefinition: string | undefined): ResourcePaths {
  const gv = groupVersionOf(r);
  const prefix = apiPrefix(gv);
  const infix = operationIdInfix(r);
  const scope = r.namespaced ? 'Namespaced' : '';
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const item: Target = { definition, gvk };
  const list: Target = { definition: listDefinition, gvk: { ...gvk, kind: r.listKind ?? `${r.kind}List` } };
  const status: Target = { definition: `${META}.Status`, gvk: { group: '', version: 'v1', kind: 'Status' } };
  const nsParam = pathParam('namespace', 'object name and auth scope, such as for teams and projects');
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}` : `${prefix}/${r.resource}`;
  const named = `${collection}/{name}`;
  const deleteBody = body(componentRef(`${META}.DeleteOptions`));
  const deleteParams = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
  const create = operation('post', `create${infix}${scope}${r.kind}`, item, { parameters: [P.dryRun, P.fieldManager, P.fieldValidation], ...body(objectSchema(item)) }, '201', `create a ${r.kind}`);
  // Reviews (SubjectAccessReview, SelfSubjectReview, ...) are POST only, as Kubernetes documents them.
  if (r.verbs?.length === 1 && r.verbs[0] === 'create') {
    return { paths: { [collection]: { post: create, parameters: r.namespaced ? [nsParam, P.pretty] : [P.pretty] } }, definitions: definition ? [definition] : [] };
  }

  const paths: Record<string, Json> = {
    [collection]: {
      get: operation('list', `list${infix}${scope}${r.kind}`, list, { parameters: LIST_PARAMS }, '200', `list or watch objects of kind ${r.kind}`),
      post: create,
      delete: operation('deletecollection', `delete${infix}Collection${scope}${r.kind}`, status, { parameters: [...deleteParams, ...LIST_PARAMS], ...deleteBody }, '200', `delete collection of ${r.kind}`),
      parameters: r.namespaced ? [nsParam, P.pretty] : [P.pretty],
    },
    [named]: {
      ...itemOperations(`${infix}${scope}${r.kind}`, item, r.kind),
      delete: operation('delete', `delete${infix}${scope}${r.kind}`, status, { parameters: deleteParams, ...deleteBody }, '200', `delete a ${r.kind}`),
      parameters: [pathParam('name', `name of the ${r.kind}`), ...(r.namespaced ? [nsParam] : []), P.pretty],
    },
  };
  if (r.namespaced) {
    paths[`${prefix}/${r.resource}`] = {
      get: operation('list', `list${infix}${r.kind}ForAllNamespaces`, list, { parameters: LIST_PARAMS }, '200', `list or watch objects of kind ${r.kind}`),
      parameters: [P.pretty],
    };
  }
  const definitions = [definition, listDefinition].filter((d): d is string => d !== undefined);
  for (const sub of r.subresources ?? []) {
    if (sub === 'token') {
      // serviceaccounts/token: POST of an authentication.k8s.io/v1 TokenRequest, nothing else.
      const tokenRequest: Target = { definition: TOKEN_REQUEST_DEFINITION, gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } };
      paths[`${named}/token`] = {
        post: operation('post', `create${infix}${scope}${r.kind}Token`, tokenRequest, { parameters: [P.dryRun, P.fieldManager, P.fieldValidation], ...body(objectSchema(tokenRequest)) }, '201', `create token of a ${r.kind}`),
        parameters: [pathParam('name', 'name of the TokenRequest'), ...(r.namespaced ? [nsParam] : []), P.pretty],
      };
      definitions.push(TOKEN_REQUEST_DEFINITION);
      continue;
    }
    const isScale = sub === 'scale';
    const target: Target = isScale ? { definition: SCALE_DEFINITION, gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } } : item;
    const suffix = sub.charAt(0).toUpperCase() + sub.slice(1);
    paths[`${named}/${sub}`] = {
      ...itemOperations(`${infix}${scope}${r.kind}${suffix}`, target, `${sub} of the ${r.kind}`),
      parameters: [pathParam('name', `name of the ${isScale ? 'Scale' : r.kind}`), ...(r.namespaced ? [nsParam] : []), P.pretty],
    };
    if (isScale) definitions.push(SCALE_DEFINITION);
  }
  return { paths, definitions };
}
