/**
 * `<kactus-actor-panel>`: an object's actors live, with a timeline. It reads the object's history
 * (`GET /kactus/v1/history/{kind}/{namespace}/{name}`: every transition of its own machine and of
 * its child actors since creation), subscribes to the event stream for the same object, and keeps
 * both in one list ordered by stream index. Following live, each actor shows its latest state and
 * the transition into it animates; moving the slider replays every actor's state at that point.
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { ApiError } from '../api/client.ts';
import { Subscriptions } from './subscriptions.ts';
import { EventStream, type StreamStatus } from '../api/stream.ts';
import type { HistoryList, MachineDescription, Transition } from '../api/types.ts';
import type { AppContext } from '../context.ts';
import { actorTree, mergeHistory, replayAt } from '../machine/actors.ts';
import { shared } from './styles.ts';

const enc = encodeURIComponent;

export class ActorPanel extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    kind: { type: String },
    namespace: { type: String },
    name: { type: String },
    uid: { type: String },
    machines: { state: true },
    items: { state: true },
    position: { state: true },
    live: { state: true },
    status: { state: true },
    notice: { state: true },
  };
  declare ctx: AppContext;
  declare kind: string;
  declare namespace: string | undefined;
  declare name: string;
  /** The object's uid: transitions of an earlier object of the same name are left out. */
  declare uid: string | undefined;
  declare machines: Map<string, MachineDescription> | undefined;
  /** The object's transitions, in stream order. */
  declare items: Transition[];
  declare position: number;
  declare live: boolean;
  declare status: StreamStatus;
  declare notice: string | undefined;
  private readonly subscriptions = new Subscriptions(this);

  constructor() {
    super();
    this.items = [];
    this.position = 0;
    this.live = true;
    this.status = 'connecting';
  }

  static override styles = [
    shared,
    css`
      .bar {
        display: flex;
        gap: 12px;
        align-items: center;
        margin-bottom: 8px;
      }
      kactus-timeline {
        flex: 1;
      }
      .status {
        font-size: 12px;
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('kind') || changed.has('namespace') || changed.has('name') || changed.has('uid')) this.restart();
  }

  private restart(): void {
    this.subscriptions.renew();
    this.items = [];
    this.live = true;
    this.notice = undefined;
    void this.ctx.machines().then(
      (m) => (this.machines = m),
      (err: Error) => (this.notice = `machine catalogue: ${err.message}`),
    );
    this.subscriptions.follow(new EventStream(this.ctx.token, { kind: this.kind, namespace: this.namespace, name: this.name }, {
      // A fresh snapshot (first connect, or our place in the stream expired): the history fills what it missed.
      reset: () => void this.loadHistory(),
      status: (s, detail) => {
        this.status = s;
        if (s === 'unauthorized' || s === 'forbidden' || s === 'failed') this.notice = `event stream: ${detail ?? s}`;
      },
      message: (m) => {
        if (m.type !== 'transition' && m.type !== 'snapshot') return;
        if (this.uid && m.uid !== this.uid) return;
        const { type: _type, ...t } = m;
        this.add([t]);
      },
    }).start());
  }

  private async loadHistory(): Promise<void> {
    const path = `/kactus/v1/history/${enc(this.kind)}/${this.namespace ? enc(this.namespace) : '_'}/${enc(this.name)}`;
    try {
      const list = await this.ctx.api.json<HistoryList>(path, { signal: this.subscriptions.signal });
      this.add(list.items.filter((t) => !this.uid || t.uid === this.uid));
    } catch (err) {
      if (this.subscriptions.signal.aborted) return;
      this.notice = err instanceof ApiError && err.code === 404 ? 'No history kept for this object: the timeline starts now.' : `history: ${(err as Error).message}`;
    }
  }

  private add(more: Transition[]): void {
    this.items = mergeHistory(this.items, more);
    if (this.live) this.position = this.items.length - 1;
  }

  override render() {
    if (!this.machines) return html`<p class="muted">${this.notice ?? 'loading the machine catalogue…'}</p>`;
    const position = this.live ? this.items.length - 1 : this.position;
    const replayed = replayAt(this.items, position);
    const trees = actorTree(replayed.values());
    const seen = this.items.slice(0, position + 1);
    return html`
      <div class="bar">
        <kactus-timeline
          .items=${this.items}
          .position=${Math.max(0, position)}
          .live=${this.live}
          @seek=${(ev: CustomEvent<number>) => {
            this.live = false;
            this.position = ev.detail;
          }}
          @live=${() => (this.live = true)}
        ></kactus-timeline>
        <span class="status chip" id="stream-status">${this.status}</span>
      </div>
      ${this.notice ? html`<p class="muted">${this.notice}</p>` : ''}
      ${trees.length === 0 ? html`<p class="muted">No transitions seen for this object yet.</p>` : ''}
      ${trees.map((node) => html`<kactus-actor-view .machines=${this.machines!} .node=${node} .history=${seen}></kactus-actor-view>`)}
    `;
  }
}

customElements.define('kactus-actor-panel', ActorPanel);
