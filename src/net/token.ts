/**
 * Join tokens in Kubernetes' bootstrap-token format `<id>.<secret>` ([a-z0-9]{6}.[a-z0-9]{16}),
 * so they can be stored as `bootstrap.kubernetes.io/token` Secrets named `bootstrap-token-<id>`
 * in kube-system, exactly where kubeadm keeps them.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

export interface JoinToken {
  id: string;
  secret: string;
}

function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export function generateToken(): JoinToken {
  return { id: randomString(6), secret: randomString(16) };
}

export function formatToken(t: JoinToken): string {
  return `${t.id}.${t.secret}`;
}

/** Parse `<id>.<secret>`; undefined when malformed. */
export function parseToken(text: string): JoinToken | undefined {
  const m = TOKEN_RE.exec(text.trim());
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Constant-time comparison of a presented secret with the stored one. */
export function secretsEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
