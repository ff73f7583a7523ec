/**
 * Resource requests: thin HTTP wrappers over the Registry. Each decodes the request (query,
 * body, content type), calls one Registry method, and renders the result in the negotiated view.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { isPatchType, PATCH_TYPES, type PatchType } from '../../api/patch/index.ts';
import { ApiError } from '../../api/status.ts';
import { decodeJson, decodeObjectBody, decodeYaml, mediaTypeOf, readBody } from '../http/body.ts';
import { negotiateObjectView, type ObjectView } from '../http/negotiate.ts';
import { deleteOptions, isWatchRequest, listOptions, writeOptions } from '../http/query.ts';
import { writeJson } from '../http/respond.ts';
import { checkWriteOptions } from '../http/write-options.ts';
import type { ResourceRoute } from '../http/router.ts';
import { includeObjectParam, renderList, renderObject } from '../http/views.ts';
import type { WriteOptions } from '../../registry/types.ts';
import { requestUser } from '../http/auth.ts';
import { serveWatch, type WatchDeps } from './watch.ts';
import { annotateAudit } from '../audit/request.ts';

/** The verb a request counts as in metrics (Kubernetes' apiserver_request_total labels). */
export function requestVerb(req: IncomingMessage, route: ResourceRoute, q: URLSearchParams): string {
  const method = req.method;
  if (method === 'GET') {
    if (route.watchPrefix || isWatchRequest(q)) return 'WATCH';
    return route.name === undefined ? 'LIST' : 'GET';
  }
  if (method === 'DELETE' && route.name === undefined) return 'DELETECOLLECTION';
  if (method === 'PATCH' && mediaTypeOf(req.headers['content-type']) === 'application/apply-patch+yaml') return 'APPLY';
  return method ?? 'UNKNOWN';
}

const VERB_FOR_METHOD: Record<string, (named: boolean) => string> = {
  GET: (named) => (named ? 'get' : 'list'),
  POST: () => 'create',
  PUT: () => 'update',
  PATCH: () => 'patch',
  DELETE: (named) => (named ? 'delete' : 'deletecollection'),
};

export async function serveResource(req: IncomingMessage, res: ServerResponse, url: URL, route: ResourceRoute, deps: WatchDeps): Promise<void> {
  const { info, namespace, name, subresource } = route;
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  if (subresource === 'binding') return serveBinding(req, res, url, route, deps);
  // serviceaccounts/token is the server's own (handlers/token-request.ts); anything reaching here is not a POST to it.
  if (subresource === 'token') throw ApiError.methodNotAllowed(info, method.toLowerCase());
  const verbOf = VERB_FOR_METHOD[method];
  const named = name !== undefined;
  // POST goes to collections, PUT and PATCH to objects.
  if (!verbOf || (method === 'POST' && named) || ((method === 'PUT' || method === 'PATCH') && !named)) {
    throw ApiError.methodNotAllowed(info, method.toLowerCase());
  }
  const verb = verbOf(named);
  if (subresource === undefined && !info.verbs.includes(verb)) throw ApiError.methodNotAllowed(info, verb);
  if (subresource !== undefined && !['GET', 'PUT', 'PATCH'].includes(method)) throw ApiError.methodNotAllowed(info, verb);

  const view = negotiateObjectView(req.headers.accept);
  if (!view) throw ApiError.notAcceptable(['application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io']);
  if (method === 'GET' && (route.watchPrefix || isWatchRequest(q))) return serveWatch(res, route, q, view, deps);

  const registry = deps.registry;
  const warnings: string[] = [];
  const user = requestUser(req);
  const wopts = (): WriteOptions => ({ ...writeOptions(q), onWarning: (w) => warnings.push(w), onAuditAnnotation: (k, v) => annotateAudit(req, k, v), ...(user ? { user } : {}) });
  const reply = (code: number, body: unknown): void => {
    if (warnings.length) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
    writeJson(res, code, body);
  };
  const replyObject = (code: number, obj: KubeObject): void => reply(code, subresource === 'scale' ? obj : render(view, info, obj, q));

  switch (method) {
    case 'GET': {
      if (name === undefined) return reply(200, renderList(view, info, await registry.list(info, namespace, listOptions(q)), includeObjectParam(q)));
      const obj = subresource === 'scale' ? await registry.getScale(info, namespace, name) : await registry.get(info, namespace, name);
      return replyObject(200, obj);
    }
    case 'POST': {
      checkWriteOptions(q, 'CreateOptions');
      const body = decodeObjectBody(req.headers['content-type'], await readBody(req));
      return replyObject(201, await registry.create(info, namespace, body, wopts()));
    }
    case 'PUT': {
      if (name === undefined) throw ApiError.methodNotAllowed(info, verb);
      checkWriteOptions(q, 'UpdateOptions');
      const body = decodeObjectBody(req.headers['content-type'], await readBody(req));
      const opts = wopts();
      if (subresource === 'scale') return replyObject(200, await registry.updateScale(info, namespace, name, body, opts));
      if (subresource === 'status') return replyObject(200, await registry.updateStatus(info, namespace, name, body, opts));
      return replyObject(200, await registry.update(info, namespace, name, body, opts));
    }
    case 'PATCH': {
      if (name === undefined) throw ApiError.methodNotAllowed(info, verb);
      const patchType = mediaTypeOf(req.headers['content-type']);
      if (!isPatchType(patchType)) throw ApiError.unsupportedMediaType(PATCH_TYPES);
      checkWriteOptions(q, 'PatchOptions', patchType === 'application/apply-patch+yaml');
      const patch = decodePatch(patchType, await readBody(req));
      const opts = wopts();
      if (subresource === 'scale') return replyObject(200, await registry.patchScale(info, namespace, name, patchType, patch, opts));
      return replyObject(200, await registry.patch(info, namespace, name, patchType, patch, { ...opts, subresource }));
    }
    case 'DELETE': {
      const raw = await readBody(req);
      const body = raw.length ? decodeJson(raw.toString('utf8')) : undefined;
      const opts = { ...deleteOptions(q, body), onWarning: (w: string) => warnings.push(w), ...(user ? { user } : {}) };
      if (name === undefined) {
        const deleted = await registry.deleteCollection(info, namespace, listOptions(q), opts);
        return reply(200, renderList(view, info, deleted, includeObjectParam(q)));
      }
      return replyObject(200, await registry.delete(info, namespace, name, opts));
    }
  }
}

/** POST pods/<name>/binding: 201 with a Success Status, as Kubernetes answers. */
async function serveBinding(req: IncomingMessage, res: ServerResponse, url: URL, route: ResourceRoute, deps: WatchDeps): Promise<void> {
  const { info, namespace, name } = route;
  const method = req.method ?? 'GET';
  if (method !== 'POST' || name === undefined || namespace === undefined) throw ApiError.methodNotAllowed(info, method.toLowerCase());
  const body = decodeObjectBody(req.headers['content-type'], await readBody(req));
  const user = requestUser(req);
  await deps.registry.bindPod(namespace, name, body, { ...writeOptions(url.searchParams), ...(user ? { user } : {}) });
  writeJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

function render(view: ObjectView, info: ResourceInfo, obj: KubeObject, q: URLSearchParams): unknown {
  return renderObject(view, info, obj, includeObjectParam(q));
}

/** Patch bodies are JSON, except server-side apply's YAML (JSON is YAML too). */
function decodePatch(patchType: PatchType, body: Buffer): unknown {
  const text = body.toString('utf8');
  return patchType === 'application/apply-patch+yaml' ? decodeYaml(text) : decodeJson(text);
}
