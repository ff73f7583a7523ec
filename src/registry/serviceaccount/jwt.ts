/**
 * Compact JWS (RFC 7515) with ES256, on node:crypto: what ServiceAccount tokens are. Only ES256
 * is accepted when verifying (no `alg: none`, no algorithm the header picks), and the key id
 * (`kid`) is Kubernetes' (the base64url SHA-256 of the public key's DER encoding).
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';

export interface JwtHeader {
  alg: 'ES256';
  kid: string;
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

function parseSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Kubernetes' keyIDFromPublicKey: base64url(SHA-256(DER of the public key)). */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

export function signJwt(payload: object, privateKey: KeyObject, kid: string): string {
  const header: JwtHeader = { alg: 'ES256', kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

/** Whether `token` has the shape of a JWS at all (three base64url segments): cheap, before any crypto. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The payload of a token signed by `publicKey` with ES256; undefined for anything else. */
export function verifyJwt(token: string, publicKey: KeyObject): Record<string, unknown> | undefined {
  if (!looksLikeJwt(token)) return undefined;
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = parseSegment(h);
  if (typeof header !== 'object' || header === null || (header as Record<string, unknown>).alg !== 'ES256') return undefined;
  const signature = Buffer.from(s, 'base64url');
  // ES256 signatures are exactly 64 bytes (r ‖ s); anything else is not ours.
  if (signature.length !== 64) return undefined;
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) return undefined;
  const payload = parseSegment(p);
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
}
