/**
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` (authentication.k8s.io/v1
 * TokenRequest, what `kubectl create token` sends, as protobuf or JSON): 201 with the
 * TokenRequest, its `status.token` a ServiceAccount token (src/registry/serviceaccount).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../api/status.ts';
import type { KubeObject } from '../../api/object.ts';
import { decodeObjectBody, readBody } from '../http/body.ts';
import { writeJson } from '../http/respond.ts';
import type { ResourceRoute } from '../http/router.ts';

/** What answers TokenRequests (src/registry/serviceaccount/tokens.ts). */
export interface TokenRequestSource {
  createTokenRequest(namespace: string, name: string, body: KubeObject): Promise<KubeObject>;
}

export async function serveTokenRequest(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, tokens: TokenRequestSource): Promise<void> {
  const { info, namespace, name } = route;
  if (req.method !== 'POST' || namespace === undefined || name === undefined) throw ApiError.methodNotAllowed(info, (req.method ?? 'GET').toLowerCase());
  const body = decodeObjectBody(req.headers['content-type'], await readBody(req));
  writeJson(res, 201, await tokens.createTokenRequest(namespace, name, body));
}
