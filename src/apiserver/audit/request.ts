/**
 * Where the API server meets the audit log: every request gets an `Audit-Id` response header
 * (as Kubernetes sends) and, when its response is over — finished, failed or cut off by the
 * client (a watch ending) — one event. Health checks and the dashboard's static files are not
 * API requests and are not recorded; nor is `/kactus/v1/events`, which authenticates inside its
 * own WebSocket protocol.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/router.ts';
import { requestUser } from '../http/auth.ts';
import { auditEvent } from './event.ts';
import type { AuditSink } from './log-writer.ts';

/** What the server learns while handling the request, read when it is over. */
export interface AuditOutcome {
  route?: Route;
  /** The Status reason of a failure. */
  reason?: string;
}

const requestAnnotations = new WeakMap<IncomingMessage, Record<string, string>>();

/** Notes an audit annotation of `req` (admission's `annotateAudit`: PodSecurity's audit mode); written with its event. */
export function annotateAudit(req: IncomingMessage, key: string, value: string): void {
  let a = requestAnnotations.get(req);
  if (!a) requestAnnotations.set(req, (a = {}));
  a[key] = value;
}

/** Routes that are not recorded. */
function unaudited(route: Route | undefined): boolean {
  return route?.type === 'health' || route?.type === 'ui' || route?.type === 'events';
}

/** Records `req` in `audit` once `res` closes; `outcome()` is read then. */
export function auditRequest(audit: AuditSink, req: IncomingMessage, res: ServerResponse, outcome: () => AuditOutcome): void {
  const auditID = randomUUID();
  const received = new Date();
  res.setHeader('Audit-Id', auditID);
  res.once('close', () => {
    const { route, reason } = outcome();
    if (unaudited(route)) return;
    // A response cut off before its head was sent has no code of its own; Kubernetes' filter records 500 for a panic, we record what was set.
    audit.write(auditEvent({ auditID, req, route, user: requestUser(req), code: res.statusCode, reason, received, completed: new Date(), annotations: requestAnnotations.get(req) }));
  });
}

/** Records an upgrade (exec, attach, port-forward), which has no ServerResponse when it succeeds. */
export function auditUpgrade(audit: AuditSink, req: IncomingMessage, received: Date, route: Route | undefined, code: number, reason?: string): void {
  if (unaudited(route)) return;
  audit.write(auditEvent({ auditID: randomUUID(), req, route, user: requestUser(req), code, reason, received, completed: new Date() }));
}
