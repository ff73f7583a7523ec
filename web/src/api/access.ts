/**
 * What the signed-in user is and may do, asked of the API server as `kubectl auth whoami` and
 * `kubectl auth can-i` ask it: a SelfSubjectReview (who), and one SelfSubjectAccessReview per
 * question (may I list pods in team-a?), the way Headlamp and the Kubernetes dashboard decide what
 * to show. The answers only hide or disable what would fail: the server still decides every
 * request, and a 403 it answers is shown in place (client.ts `isForbidden`). Answers are kept for
 * the login (a binding changed later shows after signing in again, as a Kubernetes watch is
 * authorized once when it opens).
 */
import type { Api } from './client.ts';
import type { KindInfo } from './kinds.ts';

/** `authentication.k8s.io/v1` UserInfo, as a SelfSubjectReview answers it. */
export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** A SelfSubjectAccessReview's resourceAttributes: a verb on a resource (in a namespace, or cluster-wide when none). */
export interface ResourceQuestion {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Its nonResourceAttributes: a verb on a URL path (`get /kactus/v1/events`). */
export interface PathQuestion {
  verb: string;
  path: string;
}

export type Question = ResourceQuestion | PathQuestion;

export interface Answer {
  allowed: boolean;
  /** Kubernetes' sentence when not allowed (the message its 403 would carry). */
  message?: string;
}

const isPath = (q: Question): q is PathQuestion => 'path' in q;

/** `list` (or another verb) on a kind's resource, in `namespace` or cluster-wide. */
export function kindQuestion(kind: KindInfo, verb: string, namespace?: string): ResourceQuestion {
  const q: ResourceQuestion = { verb, group: kind.group, resource: kind.resource };
  if (kind.namespaced && namespace !== undefined) q.namespace = namespace;
  return q;
}

/**
 * The message of the 403 Kubernetes answers for `q` asked by `user` (its apiserver's
 * `forbiddenMessage` after `<resource>.<group> "<name>" is forbidden: `), for what the dashboard
 * does not even ask because the answer is known to be no.
 */
export function forbiddenMessage(user: string, q: Question): string {
  const who = `User ${JSON.stringify(user)}`;
  if (isPath(q)) return `forbidden: ${who} cannot ${q.verb} path ${JSON.stringify(q.path)}`;
  const resource = q.subresource ? `${q.resource}/${q.subresource}` : q.resource;
  const qualified = q.group ? `${q.resource}.${q.group}` : q.resource;
  const subject = q.name ? `${qualified} ${JSON.stringify(q.name)}` : qualified;
  const where = q.namespace ? `in the namespace ${JSON.stringify(q.namespace)}` : 'at the cluster scope';
  return `${subject} is forbidden: ${who} cannot ${q.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(q.group)} ${where}`;
}

/** `system:serviceaccount:<namespace>:<name>` → its parts. */
export function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

/**
 * The namespace a ServiceAccount token was issued in, from its claims (`kubernetes.io.namespace`,
 * or `sub` = `system:serviceaccount:<ns>:<name>`). Read without verifying the signature: it only
 * picks where the dashboard starts; the server authenticates the token on every request.
 */
export function tokenNamespace(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const b64 = parts[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json) as { sub?: unknown; 'kubernetes.io'?: { namespace?: unknown } };
    const ns = claims['kubernetes.io']?.namespace;
    if (typeof ns === 'string' && ns !== '') return ns;
    return typeof claims.sub === 'string' ? serviceAccountOf(claims.sub)?.namespace : undefined;
  } catch {
    return undefined;
  }
}

function questionKey(q: Question): string {
  if (isPath(q)) return `${q.verb} ${q.path}`;
  return `${q.verb} ${q.resource}${q.subresource ? `/${q.subresource}` : ''}.${q.group} ${q.namespace ?? '*'} ${q.name ?? ''}`;
}

function reviewSpec(q: Question): object {
  if (isPath(q)) return { nonResourceAttributes: { verb: q.verb, path: q.path } };
  return { resourceAttributes: { verb: q.verb, group: q.group, resource: q.resource, subresource: q.subresource ?? '', namespace: q.namespace ?? '', name: q.name ?? '' } };
}

export class Access {
  private readonly answers = new Map<string, Promise<Answer>>();
  private self: Promise<UserInfo> | undefined;

  constructor(private readonly api: Api) {}

  /** Who the token is (SelfSubjectReview, `kubectl auth whoami`). */
  whoami(): Promise<UserInfo> {
    this.self ??= this.api
      .post<{ status?: { userInfo?: Partial<UserInfo> } }>('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
      .then((r) => {
        const u = r.status?.userInfo ?? {};
        return { ...u, username: u.username ?? '', groups: u.groups ?? [] };
      })
      .catch((err: unknown) => {
        this.self = undefined;
        throw err;
      });
    return this.self;
  }

  /**
   * Whether the user may (SelfSubjectAccessReview, `kubectl auth can-i`). A review that fails (a
   * server without the kind) answers yes: the request itself then meets the server's decision.
   */
  can(q: Question): Promise<Answer> {
    const key = questionKey(q);
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.ask(q);
      this.answers.set(key, answer);
    }
    return answer;
  }

  private async ask(q: Question): Promise<Answer> {
    let allowed: boolean;
    try {
      const r = await this.api.post<{ status?: { allowed?: boolean } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: reviewSpec(q),
      });
      allowed = r.status?.allowed === true;
    } catch {
      return { allowed: true };
    }
    if (allowed) return { allowed };
    const user = await this.whoami().then((u) => u.username, () => '');
    return { allowed, message: forbiddenMessage(user, q) };
  }
}
