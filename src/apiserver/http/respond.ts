/**
 * Writing responses: JSON bodies, Kubernetes Status errors and plain text. Every error leaves the
 * server as a Status document with the code it carries.
 */
import type { ServerResponse } from 'node:http';
import { ApiError } from '../../api/status.ts';

/** Writes `body` as JSON with `code` (Content-Type `application/json` unless given). */
export function writeJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes the Status of an error; anything that is not an ApiError becomes a 500 InternalError. */
export function writeError(res: ServerResponse, err: unknown): ApiError {
  const apiErr = toApiError(err);
  if (res.headersSent) {
    res.destroy();
    return apiErr;
  }
  writeJson(res, apiErr.code, apiErr.toStatus());
  return apiErr;
}

/** Narrows anything thrown to the ApiError the client will see. */
export function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : ApiError.internal(err);
}

export function writeText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
