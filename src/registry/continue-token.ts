/**
 * The opaque `continue` token of paged lists: the revision of the first page and the last key
 * returned, base64url JSON (the same content Kubernetes' etcd3 storage encodes).
 */
import { ApiError } from '../api/status.ts';

export interface ContinueToken {
  /** Revision the first page was read at; every page reports it as the list's resourceVersion. */
  rv: number;
  /** Store key of the last item returned; the next page starts after it. */
  start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

/** Decodes a token; 400 when it is not one of ours or addresses keys outside `prefix`. */
export function decodeContinue(text: string, prefix: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw ApiError.badRequest('continue key is not valid: invalid encoding');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') {
    throw ApiError.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (!t.start.startsWith(prefix)) throw ApiError.badRequest('continue key is not valid: key is outside the requested collection');
  return { rv: t.rv, start: t.start };
}
