/**
 * Reading request bodies: a size limit (as Kubernetes' 3 MiB), and decoding of JSON or YAML
 * object bodies. Patch bodies are decoded by the patch handler, which knows their media types.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError } from '../../api/status.ts';
import { assertNestingWithin, assertYamlFlowNestingWithin } from './nesting.ts';
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from './protobuf.ts';

/** Largest request body accepted, as Kubernetes' default. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Media types object bodies may use (protobuf: for the kinds kubectl create sends that way, see protobuf.ts). */
export const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE] as const;

/**
 * Bytes past the limit read and dropped before the 413, so that the client, still sending, reads
 * the answer and its connection stays usable. Stopping at once destroyed the socket under the
 * client: its next request on that keep-alive connection was reset, or the 413 itself was lost
 * (found by the API fuzzer). A body larger still is cut off with its connection.
 */
export const MAX_DISCARDED_BYTES = 16 * 1024 * 1024;

/** Reads the whole body; 413 past the limit. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size <= limit) chunks.push(buf);
    else if (size > limit + MAX_DISCARDED_BYTES) break; // ends the request and its connection
  }
  if (size > limit) throw new ApiError(413, 'BadRequest', `request entity too large: limit is ${limit}`);
  return Buffer.concat(chunks);
}

/** The media type of a Content-Type header without parameters, lower case. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes an object body (JSON, YAML or Kubernetes protobuf); 415 for other media types, 400 for malformed ones. */
export function decodeObjectBody(contentType: string | undefined, body: Buffer): Record<string, unknown> {
  // No Content-Type is JSON, as Kubernetes; one naming no media type (`;`) is not (it was read as JSON, found by the API fuzzer).
  const mediaType = (contentType ?? '').trim() === '' ? 'application/json' : mediaTypeOf(contentType);
  if (mediaType === PROTOBUF_MEDIA_TYPE) return decodeProtobufObject(body);
  let value: unknown;
  const text = body.toString('utf8');
  if (mediaType === 'application/json') {
    value = decodeJson(text);
  } else if (mediaType === 'application/yaml' || mediaType === 'application/x-yaml') {
    value = decodeYaml(text);
  } else {
    throw ApiError.unsupportedMediaType(OBJECT_MEDIA_TYPES);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw ApiError.badRequest('the body of the request must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** JSON.parse with Kubernetes-like error wording; nested at most MAX_BODY_DEPTH deep. */
export function decodeJson(text: string): unknown {
  if (text.trim() === '') throw ApiError.badRequest('the body of the request was empty');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw ApiError.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  assertNestingWithin(value);
  return value;
}

/** A YAML document (JSON is YAML too); nested at most MAX_BODY_DEPTH deep. */
export function decodeYaml(text: string): unknown {
  assertYamlFlowNestingWithin(text);
  let value: unknown;
  try {
    value = parseYaml(text) as unknown;
  } catch (err) {
    throw ApiError.badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
  assertNestingWithin(value);
  return value;
}
