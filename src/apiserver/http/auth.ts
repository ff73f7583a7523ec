/**
 * Bearer-token authentication. The admin token always works; other tokens are checked by an
 * optional authenticator (node daemons, service accounts later). Comparison of the admin token is
 * constant-time.
 */
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

/** Who made a request. */
export interface UserInfo {
  name: string;
  groups: string[];
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

/** Resolves a token as the server does: the admin token (constant-time), then `extra`. */
export function tokenChecker(adminToken: string, extra?: TokenAuthenticator): (token: string) => Promise<UserInfo | undefined> {
  const admin = Buffer.from(adminToken);
  return async (token) => {
    const given = Buffer.from(token);
    if (given.length === admin.length && timingSafeEqual(given, admin)) return ADMIN_USER;
    return extra ? await extra(token) : undefined;
  };
}

/** Builds the authenticator the server uses: the request's bearer token through `tokenChecker`. */
export function tokenAuthenticator(adminToken: string, extra?: TokenAuthenticator): (req: IncomingMessage) => Promise<UserInfo | undefined> {
  const check = tokenChecker(adminToken, extra);
  return async (req) => {
    const token = bearerToken(req);
    return token === undefined ? undefined : check(token);
  };
}
