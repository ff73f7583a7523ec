/**
 * `<kactus-events-table>`: the Kubernetes Events about one object (by its uid, as `kubectl
 * describe` lists them), kept live by a watch, newest last; in the object's namespace, where
 * Kubernetes records them (and where a namespaced user may list them).
 */
import { LitElement, html, type PropertyValues } from 'lit';
import { kindByName, resourcePath } from '../api/kinds.ts';
import type { KubeEvent } from '../api/types.ts';
import { listWatch } from '../api/watch.ts';
import type { AppContext } from '../context.ts';
import { formatAge } from '../format.ts';
import { shared } from './styles.ts';

const eventTime = (e: KubeEvent): string => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '';

export class EventsTable extends LitElement {
  static override properties = { ctx: { attribute: false }, namespace: { attribute: false }, uid: { type: String }, events: { state: true }, failure: { state: true } };
  declare ctx: AppContext;
  /** Where the Events are (an object's are in its namespace; undefined: all, for cluster-scoped objects). */
  declare namespace: string | undefined;
  declare uid: string | undefined;
  declare events: Map<string, KubeEvent>;
  declare failure: string | undefined;
  private abort = new AbortController();

  constructor() {
    super();
    this.events = new Map();
  }

  static override styles = shared;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('uid') && !changed.has('namespace')) return;
    this.abort.abort();
    this.abort = new AbortController();
    this.events = new Map();
    if (!this.uid) return;
    void listWatch<KubeEvent>(
      this.ctx.api,
      resourcePath(kindByName('Event')!, this.namespace),
      {
        reset: (items) => (this.events = new Map(items.map((e) => [e.metadata.uid ?? e.metadata.name, e]))),
        change: (type, e) => {
          const next = new Map(this.events);
          if (type === 'DELETED') next.delete(e.metadata.uid ?? e.metadata.name);
          else next.set(e.metadata.uid ?? e.metadata.name, e);
          this.events = next;
        },
        error: (err) => (this.failure = err.message),
      },
      this.abort.signal,
      { fieldSelector: `involvedObject.uid=${this.uid}` },
    );
  }

  override disconnectedCallback(): void {
    this.abort.abort();
    super.disconnectedCallback();
  }

  override render() {
    const events = [...this.events.values()].sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
    return html`
      ${this.failure ? html`<p class="error" role="alert">${this.failure}</p>` : ''}
      <table id="events">
        <tr><th>type</th><th>reason</th><th>age</th><th>from</th><th>message</th></tr>
        ${events.map(
          (e) => html`<tr data-reason=${e.reason ?? ''}>
            <td class=${e.type === 'Warning' ? 'warn' : ''}>${e.type}</td>
            <td>${e.reason}</td>
            <td>${formatAge(eventTime(e))}${(e.count ?? 1) > 1 ? html` <span class="muted">(×${e.count})</span>` : ''}</td>
            <td>${e.source?.component ?? ''}</td>
            <td>${e.message}</td>
          </tr>`,
        )}
      </table>
      ${events.length === 0 ? html`<p class="muted">No events.</p>` : ''}
    `;
  }
}

customElements.define('kactus-events-table', EventsTable);
