/**
 * One request as Kubernetes' audit.k8s.io/v1 `Event` at level Metadata, stage ResponseComplete:
 * who (user, source IPs, user agent), what (verb, request URI, the object addressed), and how it
 * ended (response code, and for failures the Status reason). Never a body: the request's and
 * the response's objects — and a Status message, which may quote a rejected field — are left out,
 * so a Secret's data never reaches the log.
 */
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../../api/user.ts';
import type { Route } from '../http/router.ts';
import { requestVerb } from '../handlers/resource.ts';
import { METRICS_GROUP, METRICS_VERSION } from '../metrics-api/discovery.ts';

export interface AuditObjectRef {
  resource?: string;
  namespace?: string;
  name?: string;
  apiGroup?: string;
  apiVersion?: string;
  subresource?: string;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: 'Metadata';
  auditID: string;
  stage: 'ResponseComplete';
  requestURI: string;
  verb: string;
  user: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> };
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: AuditObjectRef;
  responseStatus: { metadata: Record<string, never>; code: number; status?: 'Failure'; reason?: string };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  /** What admission noted of the request (PodSecurity's `pod-security.kubernetes.io/audit-violations`). */
  annotations?: Record<string, string>;
}

/** What a request that got no further than authentication is recorded as (Kubernetes' anonymous user). */
export const UNAUTHENTICATED_USER: AuditEvent['user'] = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export interface AuditFacts {
  auditID: string;
  req: IncomingMessage;
  /** The route, when the path decoded to one (an unknown path has none). */
  route?: Route;
  user?: UserInfo;
  code: number;
  /** The Status reason of a failure (Forbidden, NotFound, ...). */
  reason?: string;
  received: Date;
  completed: Date;
  annotations?: Record<string, string>;
}

/** Kubernetes' verbs for what `requestVerb` names (the server's metrics use its upper-case forms). */
const RESOURCE_VERBS: Record<string, string> = {
  GET: 'get', LIST: 'list', WATCH: 'watch', POST: 'create', PUT: 'update', PATCH: 'patch', APPLY: 'patch', DELETE: 'delete', DELETECOLLECTION: 'deletecollection',
};

/** The verb and object a request addresses, as Kubernetes' RequestInfo resolves them. */
export function auditTarget(req: IncomingMessage, route: Route | undefined): { verb: string; objectRef?: AuditObjectRef } {
  const method = (req.method ?? 'GET').toLowerCase();
  if (!route) return { verb: method };
  switch (route.type) {
    case 'resource': {
      const { info, namespace, name, subresource } = route;
      const query = new URL(req.url ?? '/', 'https://apiserver').searchParams;
      const verb = RESOURCE_VERBS[requestVerb(req, route, query)] ?? method;
      return { verb, objectRef: definedOnly({ resource: info.resource, namespace, name, apiGroup: info.group || undefined, apiVersion: info.version, subresource }) };
    }
    case 'podLog':
      return { verb: 'get', objectRef: { resource: 'pods', namespace: route.namespace, name: route.name, apiVersion: 'v1', subresource: 'log' } };
    case 'podExec':
    case 'podAttach':
    case 'podPortForward': {
      const subresource = route.type === 'podExec' ? 'exec' : route.type === 'podAttach' ? 'attach' : 'portforward';
      return { verb: 'create', objectRef: { resource: 'pods', namespace: route.namespace, name: route.name, apiVersion: 'v1', subresource } };
    }
    case 'resourceMetrics':
      return {
        verb: route.name === undefined ? 'list' : 'get',
        objectRef: definedOnly({ resource: route.resource, namespace: route.namespace, name: route.name, apiGroup: METRICS_GROUP, apiVersion: METRICS_VERSION }),
      };
    default:
      // Discovery, OpenAPI, /version, /metrics, kactus' own paths: non-resource URLs, the HTTP verb.
      return { verb: method };
  }
}

/** The source IPs as Kubernetes lists them: X-Forwarded-For, X-Real-Ip, then the connection's peer. */
export function sourceIPs(req: IncomingMessage): string[] {
  const ips: string[] = [];
  const forwarded = req.headers['x-forwarded-for'];
  for (const ip of (Array.isArray(forwarded) ? forwarded.join(',') : forwarded ?? '').split(',')) if (ip.trim()) ips.push(ip.trim());
  const real = req.headers['x-real-ip'];
  if (typeof real === 'string' && real.trim() && !ips.includes(real.trim())) ips.push(real.trim());
  const peer = req.socket?.remoteAddress?.replace(/^::ffff:/, '');
  if (peer && !ips.includes(peer)) ips.push(peer);
  return ips;
}

/** Kubernetes' MicroTime: RFC 3339 with microseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function auditEvent(f: AuditFacts): AuditEvent {
  const { verb, objectRef } = auditTarget(f.req, f.route);
  const user = f.user
    ? definedOnly({ username: f.user.name, uid: f.user.uid, groups: f.user.groups, extra: f.user.extra })
    : UNAUTHENTICATED_USER;
  const userAgent = f.req.headers['user-agent'];
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: f.auditID,
    stage: 'ResponseComplete',
    requestURI: f.req.url ?? '/',
    verb,
    user: user as AuditEvent['user'],
    sourceIPs: sourceIPs(f.req),
    ...(userAgent ? { userAgent } : {}),
    ...(objectRef ? { objectRef } : {}),
    responseStatus: { metadata: {}, code: f.code, ...(f.code >= 400 ? { status: 'Failure' as const, ...(f.reason ? { reason: f.reason } : {}) } : {}) },
    requestReceivedTimestamp: microTime(f.received),
    stageTimestamp: microTime(f.completed),
    ...(f.annotations && Object.keys(f.annotations).length > 0 ? { annotations: f.annotations } : {}),
  };
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
