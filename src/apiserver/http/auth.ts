/**
 * Authentication: x509 client certificates from the cluster CA first (as Kubernetes' union of
 * authenticators), then bearer tokens. The admin token always works; other tokens are checked by
 * optional authenticators in turn (ServiceAccount tokens, others the server is given).
 * Comparison of the admin token is constant-time. The user a request was authenticated as is
 * kept for it (`requestUser`).
 */
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';

import type { UserInfo } from '../../api/user.ts';

export type { UserInfo };

const requestUsers = new WeakMap<IncomingMessage, UserInfo>();

/** Records who made `req` (the server does, once authenticated). */
export function setRequestUser(req: IncomingMessage, user: UserInfo): void {
  requestUsers.set(req, user);
}

/**
 * Who made `req`, as authenticated: what an authorizer (RBAC) and an audit log read. Every
 * authenticated user may do everything until authorization exists.
 */
export function requestUser(req: IncomingMessage): UserInfo | undefined {
  return requestUsers.get(req);
}

/** Resolves a bearer token to a user, or undefined when the token is not known. */
export type TokenAuthenticator = (token: string) => UserInfo | undefined | Promise<UserInfo | undefined>;

export const ADMIN_USER: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Resolves a token as the server does: the admin token (constant-time), then each of `extra` in order. */
export function tokenChecker(adminToken: string, ...extra: (TokenAuthenticator | undefined)[]): (token: string) => Promise<UserInfo | undefined> {
  const admin = Buffer.from(adminToken);
  const others = extra.filter((a): a is TokenAuthenticator => a !== undefined);
  return async (token) => {
    const given = Buffer.from(token);
    if (given.length === admin.length && timingSafeEqual(given, admin)) return ADMIN_USER;
    for (const authenticate of others) {
      const user = await authenticate(token);
      if (user) return user;
    }
    return undefined;
  };
}

/** Builds the authenticator the server uses: the request's bearer token through `tokenChecker`. */
export function tokenAuthenticator(adminToken: string, ...extra: (TokenAuthenticator | undefined)[]): (req: IncomingMessage) => Promise<UserInfo | undefined> {
  const check = tokenChecker(adminToken, ...extra);
  return async (req) => {
    const token = bearerToken(req);
    return token === undefined ? undefined : check(token);
  };
}

/** id-kp-clientAuth (client-certificates.ts has the issuer's side). */
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/**
 * The user a verified client certificate names, as Kubernetes' x509 authenticator: CN the user,
 * each O a group, plus `system:authenticated`. Undefined without a certificate, or when TLS did
 * not verify it against the CA the listener trusts (`ca`: the cluster CA; this also checks its
 * validity period), or when it lacks the clientAuth usage (the API server's own serving
 * certificate chains to the same CA, and must not pass as a user).
 */
export function certificateUser(req: IncomingMessage): UserInfo | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const cert: PeerCertificate = socket.getPeerCertificate(false);
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const usages = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage;
  if (!usages?.includes(CLIENT_AUTH_OID)) return undefined;
  const name = first(cert.subject?.CN);
  if (!name) return undefined;
  const groups = all(cert.subject?.O);
  return { name, groups: [...groups, 'system:authenticated'] };
}

/** Node gives a subject attribute as a string, or an array when it repeats. */
function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((s) => s !== '');
}

function first(v: string | string[] | undefined): string | undefined {
  return all(v)[0];
}

/** Client certificate first, then the bearer token through `tokenAuthenticator`. */
export function requestAuthenticator(adminToken: string, ...extra: (TokenAuthenticator | undefined)[]): (req: IncomingMessage) => Promise<UserInfo | undefined> {
  const byToken = tokenAuthenticator(adminToken, ...extra);
  return async (req) => certificateUser(req) ?? byToken(req);
}
