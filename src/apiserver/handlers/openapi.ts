/** /openapi/v3 and its per-group-version documents (built by src/api/openapi). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { allResources } from '../../api/kinds.ts';
import { serveOpenApiV3 } from '../../api/openapi/index.ts';
import { pathNotFound } from '../http/router.ts';

export function serveOpenApi(req: IncomingMessage, res: ServerResponse, url: URL): void {
  const ifNoneMatch = req.headers['if-none-match'];
  const reply = serveOpenApiV3(url.pathname, url.searchParams, allResources(), typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined);
  if (!reply) throw pathNotFound();
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}
