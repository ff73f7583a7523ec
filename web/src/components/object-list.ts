/**
 * `<kactus-object-list>`: one kind's objects as the server's own Table (the columns `kubectl get`
 * prints), kept live by a watch, in one namespace or all. For kinds with a state machine, a
 * "machine state" column shows each object's actor state from the event stream (asked for the
 * same namespace, one the server lets the user watch). The namespace is the menu's picker's; a
 * kind the user may not list shows the server's 403 message instead of the table.
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { TABLE_ACCEPT, isForbidden } from '../api/client.ts';
import { kindByResource, resourcePath, type KindInfo } from '../api/kinds.ts';
import { Subscriptions } from './subscriptions.ts';
import { EventStream } from '../api/stream.ts';
import type { Table } from '../api/types.ts';
import { listWatch } from '../api/watch.ts';
import type { AppContext } from '../context.ts';
import { formatRoute } from '../router.ts';
import { shared } from './styles.ts';

type Row = Table['rows'][number];

export class ObjectList extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    resource: { type: String },
    namespace: { type: String },
    columns: { state: true },
    rows: { state: true },
    states: { state: true },
    failure: { state: true },
    forbidden: { state: true },
    hasMachine: { state: true },
  };
  declare ctx: AppContext;
  declare resource: string;
  declare namespace: string | undefined;
  declare columns: Table['columnDefinitions'];
  /** uid → row. */
  declare rows: Map<string, Row>;
  /** uid → the object's machine state (kinds with a machine). */
  declare states: Map<string, string>;
  declare failure: string | undefined;
  /** The list was answered 403: its message is shown instead of the table. */
  declare forbidden: boolean;
  declare hasMachine: boolean;

  private readonly subscriptions = new Subscriptions(this);

  constructor() {
    super();
    this.columns = [];
    this.rows = new Map();
    this.states = new Map();
    this.hasMachine = false;
    this.forbidden = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('resource') || changed.has('namespace')) this.restart();
  }

  private restart(): void {
    this.subscriptions.renew();
    this.rows = new Map();
    this.states = new Map();
    this.failure = undefined;
    this.forbidden = false;
    this.hasMachine = false;
    const info = kindByResource(this.resource);
    if (!info) {
      this.failure = `unknown resource "${this.resource}"`;
      return;
    }
    const uidOf = (t: Table): string => t.rows[0]?.object.metadata.uid ?? '';
    let listed = false;
    void listWatch<Table>(
      this.ctx.api,
      resourcePath(info, info.namespaced ? this.namespace : undefined),
      {
        reset: (tables) => {
          this.columns = tables[0]?.columnDefinitions ?? this.columns;
          this.rows = new Map(tables.map((t) => [uidOf(t), t.rows[0]!]));
          if (!listed) this.followStates(info);
          listed = true;
        },
        change: (type, t) => {
          if (t.columnDefinitions?.length) this.columns = t.columnDefinitions;
          const rows = new Map(this.rows);
          if (type === 'DELETED') rows.delete(uidOf(t));
          else if (t.rows[0]) rows.set(uidOf(t), t.rows[0]);
          this.rows = rows;
        },
        error: (err) => {
          this.failure = err.message;
          if (!isForbidden(err)) return;
          // Nothing of this kind here is readable: no table, no stream of its states.
          this.forbidden = true;
          this.subscriptions.end();
        },
      },
      this.subscriptions.signal,
      { accept: TABLE_ACCEPT },
    );
    // The list's columns as soon as the server answers an empty list too.
    void this.ctx.api
      .json<Table>(resourcePath(info, info.namespaced ? this.namespace : undefined) + '?limit=1', { accept: TABLE_ACCEPT, signal: this.subscriptions.signal })
      .then((t) => {
        if (this.columns.length === 0) this.columns = t.columnDefinitions;
      })
      .catch(() => undefined);
  }

  /** The machine states' stream, once the list was allowed (a kind the user may not list gets none). */
  private followStates(info: KindInfo): void {
    const signal = this.subscriptions.signal;
    void this.ctx.machines().then((machines) => {
      if (!machines.has(info.kind) || signal.aborted) return;
      this.hasMachine = true;
      this.subscriptions.follow(new EventStream(this.ctx.token, { kind: info.kind, namespace: info.namespaced ? this.namespace : undefined }, {
        reset: () => (this.states = new Map()),
        message: (m) => {
          if ((m.type === 'transition' || m.type === 'snapshot') && m.actor === '') this.states = new Map(this.states).set(m.uid, m.to);
        },
      }).start());
    }, () => undefined);
  }

  static override styles = [
    shared,
    css`
      header {
        display: flex;
        align-items: baseline;
        gap: 16px;
      }
      td.state {
        font-family: var(--mono);
        font-size: 12.5px;
      }
    `,
  ];

  override render() {
    const info = kindByResource(this.resource);
    if (!info) return html`<p class="error">${this.failure}</p>`;
    const cols = this.columns.filter((c) => (c.priority ?? 0) === 0);
    const colIndexes = cols.map((c) => this.columns.indexOf(c));
    const withState = this.hasMachine;
    const rows = [...this.rows.values()].sort((a, b) =>
      `${a.object.metadata.namespace ?? ''}/${a.object.metadata.name}`.localeCompare(`${b.object.metadata.namespace ?? ''}/${b.object.metadata.name}`),
    );
    return html`
      <header>
        <h1>${info.title}</h1>
        ${info.namespaced ? html`<span class="muted" id="list-namespace">${this.namespace !== undefined ? `namespace ${this.namespace}` : 'all namespaces'}</span>` : ''}
      </header>
      ${this.forbidden
        ? html`<p class="error denied" role="alert" id="forbidden">${this.failure}</p>`
        : html`${this.failure ? html`<p class="error">${this.failure}</p>` : ''} ${this.table(info, cols, colIndexes, rows, withState)}`}
    `;
  }

  private table(info: KindInfo, cols: Table['columnDefinitions'], colIndexes: number[], rows: Row[], withState: boolean) {
    return html`
      <table id="objects">
        <tr>
          ${info.namespaced ? html`<th>namespace</th>` : ''} ${cols.map((c) => html`<th title=${c.description ?? ''}>${c.name}</th>`)}
          ${withState ? html`<th>machine state</th>` : ''}
        </tr>
        ${rows.map((row) => {
          const meta = row.object.metadata;
          const href = formatRoute({ page: 'object', resource: info.resource, namespace: meta.namespace, name: meta.name });
          return html`<tr data-name=${meta.name}>
            ${info.namespaced ? html`<td>${meta.namespace}</td>` : ''}
            ${colIndexes.map((i, n) => html`<td>${n === 0 ? html`<a href=${href}>${String(row.cells[i] ?? '')}</a>` : String(row.cells[i] ?? '')}</td>`)}
            ${withState ? html`<td class="state">${this.states.get(meta.uid ?? '') ?? ''}</td>` : ''}
          </tr>`;
        })}
      </table>
      ${rows.length === 0 ? html`<p class="muted">No ${info.title.toLowerCase()}${this.namespace ? ` in ${this.namespace}` : ''}.</p>` : ''}
    `;
  }
}

customElements.define('kactus-object-list', ObjectList);
