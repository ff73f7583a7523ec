/**
 * What one stream client may see (README.md, "Authorization"): a transition of an object, or an
 * Event about it, only when the user may `watch` or `list` that object's kind in its namespace
 * (an Event also needs `watch` or `list` on events there). Decided once per (kind, namespace)
 * and kept for the connection, as a Kubernetes watch is authorized once when it opens: a
 * permission granted or revoked later shows on the next connection. A permission on the whole
 * cluster (namespace '') answers for every namespace of that kind. `system:masters` gets no
 * StreamAccess at all (nothing to check on the hot path).
 */
import type { UserInfo } from '../../api/user.ts';
import type { LogEntry } from '../../registry/transition-log/entries.ts';
import type { AuthorizationAttributes, Authorizer, Decision } from '../../registry/authorization/types.ts';
import { resourceOfKind } from '../authz/attributes.ts';
import { objectOf } from './filter.ts';

const KEY_SEP = '\u0000';

export class StreamAccess {
  /** `kind\0namespace` → visible; absent: not decided yet. */
  private readonly decided = new Map<string, boolean>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly user: UserInfo,
    private readonly authorizer: Authorizer,
  ) {}

  /** Whether `entry` may be shown: true/false when known, undefined while being decided (`whenDecided`). */
  visible(entry: LogEntry): boolean | undefined {
    const o = objectOf(entry);
    const own = this.check(o.kind, o.namespace);
    if (entry.type !== 'event' || own === false) return own;
    const events = this.check('Event', o.namespace);
    if (events === false) return false;
    return own === undefined || events === undefined ? undefined : true;
  }

  /** Resolves once every decision `visible` started has been made. */
  async whenDecided(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending.values());
  }

  /** Starts (and, for a synchronous authorizer, makes) every decision `entries` need. */
  async prepare(entries: readonly LogEntry[]): Promise<void> {
    for (const e of entries) this.visible(e);
    await this.whenDecided();
  }

  private check(kind: string, namespace: string): boolean | undefined {
    const key = kind + KEY_SEP + namespace;
    const known = this.decided.get(key);
    if (known !== undefined || this.pending.has(key)) return known;
    const decision = this.decide(kind, namespace);
    if (typeof decision === 'boolean') {
      this.decided.set(key, decision);
      return decision;
    }
    this.pending.set(
      key,
      decision.then(
        (v) => {
          this.decided.set(key, v);
          this.pending.delete(key);
        },
        () => {
          this.decided.set(key, false);
          this.pending.delete(key);
        },
      ),
    );
    return undefined;
  }

  /** `watch` or `list` on the kind, cluster-wide or in the namespace. */
  private decide(kind: string, namespace: string): boolean | Promise<boolean> {
    const info = resourceOfKind(kind);
    if (!info) return false;
    const scopes = info.namespaced && namespace !== '' ? ['', namespace] : [''];
    const asks: AuthorizationAttributes[] = [];
    for (const ns of scopes) {
      for (const verb of ['watch', 'list']) asks.push({ user: this.user, resourceRequest: true, verb, apiGroup: info.group, resource: info.resource, subresource: '', namespace: ns, name: '' });
    }
    const decisions = asks.map((a) => this.authorizer.authorize(a));
    if (decisions.every((d): d is Decision => !(d instanceof Promise))) return decisions.some((d) => d.decision === 'allow');
    return Promise.all(decisions).then((ds) => ds.some((d) => d.decision === 'allow'));
  }
}
