/**
 * `<kactus-actor-grid>`: every actor the event stream reports for a filter (kind, namespace, label
 * selector), one card each — a small statechart with its current state lit, animating as it
 * changes, and its child actors' states as chips. Objects appear as their first transition (or the
 * snapshot) arrives; with a kind, a metadata watch of that kind drops cards of deleted objects.
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { isForbidden } from '../api/client.ts';
import { kindByName, resourcePath } from '../api/kinds.ts';
import { Subscriptions } from './subscriptions.ts';
import { EventStream, type StreamFilter, type StreamStatus } from '../api/stream.ts';
import type { MachineDescription } from '../api/types.ts';
import { listWatch } from '../api/watch.ts';
import type { AppContext } from '../context.ts';
import { ActorTable, childName, type ActorState } from '../machine/actors.ts';
import { formatRoute } from '../router.ts';
import { shared } from './styles.ts';

const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json';

export class ActorGrid extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    filter: { attribute: false },
    machines: { state: true },
    tick: { state: true },
    status: { state: true },
    failure: { state: true },
  };
  declare ctx: AppContext;
  declare filter: StreamFilter;
  declare machines: Map<string, MachineDescription> | undefined;
  declare tick: number;
  declare status: StreamStatus;
  declare failure: string | undefined;

  private readonly actors = new ActorTable();
  /** uids of the objects that exist (only kept when the filter names a kind we can watch). */
  private existing: Set<string> | undefined;
  private readonly subscriptions = new Subscriptions(this);

  constructor() {
    super();
    this.filter = {};
    this.tick = 0;
    this.status = 'connecting';
  }

  static override styles = [
    shared,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(340px, 1fr));
        gap: 12px;
      }
      .card header {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        align-items: baseline;
      }
      .state {
        font-family: var(--mono);
        font-size: 12.5px;
        background: #ffe08a;
        padding: 0 6px;
        border-radius: 4px;
      }
      .children {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        margin-top: 6px;
      }
      .chip {
        font-family: var(--mono);
        /* A parallel state's leaf paths are long: wrap at the region separators, never overflow the card. */
        white-space: normal;
        overflow-wrap: anywhere;
        max-width: 100%;
      }
      kactus-statechart {
        margin-top: 6px;
      }
    `,
  ];

  /** The filter the stream runs with: a parent re-rendering an equal filter object changes nothing. */
  private running: string | undefined;

  protected override willUpdate(changed: PropertyValues<this>): void {
    const key = JSON.stringify(this.filter);
    if (changed.has('filter') && key !== this.running) {
      this.running = key;
      this.restart();
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-attached (a tab shown again): start over.
    if (this.running !== undefined && !this.subscriptions.streaming) this.restart();
  }

  private restart(): void {
    this.subscriptions.renew();
    this.actors.clear();
    this.existing = undefined;
    void this.ctx.machines().then(
      (m) => (this.machines = m),
      (err: Error) => (this.failure = err.message),
    );
    const f = this.filter;
    const info = f.kind ? kindByName(f.kind) : undefined;
    if (info) {
      void listWatch<{ metadata: { uid?: string; resourceVersion?: string } }>(
        this.ctx.api,
        resourcePath(info, f.namespace),
        {
          reset: (items) => {
            this.existing = new Set(items.map((o) => o.metadata.uid ?? ''));
            this.tick++;
          },
          change: (type, o) => {
            const uid = o.metadata.uid ?? '';
            if (type === 'DELETED') {
              this.existing?.delete(uid);
              this.actors.removeObject(uid);
            } else this.existing?.add(uid);
            this.tick++;
          },
          error: (err) => {
            if (isForbidden(err)) this.failure = err.message;
          },
        },
        this.subscriptions.signal,
        { labelSelector: f.labelSelector, accept: METADATA_ACCEPT },
      );
    }
    this.subscriptions.follow(new EventStream(this.ctx.token, f, {
      reset: () => {
        this.actors.clear();
        this.tick++;
      },
      status: (s, detail) => {
        this.status = s;
        if (s === 'unauthorized' || s === 'forbidden' || s === 'failed') this.failure = `event stream: ${detail ?? s}`;
      },
      message: (m) => {
        if (m.type !== 'transition' && m.type !== 'snapshot') return;
        const { type: _type, ...t } = m;
        this.actors.apply(t);
        this.tick++;
      },
    }).start());
  }

  override render() {
    const all = this.actors.list();
    const objects = all.filter((a) => a.actor === '' && (!this.existing || this.existing.has(a.uid)));
    return html`
      <p class="muted">
        ${objects.length} actor${objects.length === 1 ? '' : 's'}${this.filter.kind ? ` of kind ${this.filter.kind}` : ''}${this.filter.namespace ? ` in ${this.filter.namespace}` : ''}
        · stream <span class="chip" id="stream-status">${this.status}</span>
      </p>
      ${this.failure ? html`<p class="error">${this.failure}</p>` : ''}
      <div class="grid">${objects.map((a) => this.card(a, all.filter((c) => c.uid === a.uid && c.actor !== '')))}</div>
    `;
  }

  private card(a: ActorState, children: ActorState[]) {
    const info = kindByName(a.kind);
    const machine = this.machines?.get(a.machineKind);
    const title = `${a.namespace ? `${a.namespace}/` : ''}${a.name}`;
    return html`<section class="card actor" data-name=${a.name} data-kind=${a.kind} data-state=${a.last.to}>
      <header>
        ${info ? html`<a href=${formatRoute({ page: 'object', resource: info.resource, namespace: a.namespace, name: a.name })}>${title}</a>` : html`<span>${title}</span>`}
        <span class="state">${a.last.to}</span>
      </header>
      ${machine ? html`<kactus-statechart compact .machine=${machine} .at=${a.last}></kactus-statechart>` : ''}
      <div class="children">
        ${children.map((c) => html`<span class="chip" data-actor=${c.actor} data-state=${c.last.to} title=${c.actor}>${childName(c.actor)}: ${c.last.to}</span>`)}
      </div>
    </section>`;
  }
}

customElements.define('kactus-actor-grid', ActorGrid);
