/**
 * The OpenAPI documents kubectl reads: the /openapi/v3 index and one OpenAPI 3.0 document per
 * group-version, built from src/api/generated/schemas.json. Pure: no I/O besides hashing.
 */
export { openApiV3Document } from './document.ts';
export { openApiV3DocumentUrl, openApiV3Index } from './index-document.ts';
export { groupVersionFromPathKey, groupVersionOf, openApiV3PathKey } from './group-version.ts';
export { serveOpenApiV3, type OpenApiReply } from './serve.ts';
export type { OpenApiResource, SerializedDocument } from './types.ts';
