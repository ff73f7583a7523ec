/**
 * `<kactus-actor-view>`: one actor — its name, current state, the statechart of its machine with
 * that state lit, its latest transitions — and, inside its frame, its child actors the same way
 * (a pod's containers, a container's probes).
 */
import { LitElement, css, html } from 'lit';
import type { MachineDescription, Transition } from '../api/types.ts';
import { childName, type ActorNode } from '../machine/actors.ts';
import { shared } from './styles.ts';

const SHOWN_TRANSITIONS = 6;

export class ActorView extends LitElement {
  static override properties = {
    machines: { attribute: false },
    node: { attribute: false },
    history: { attribute: false },
    compact: { type: Boolean, reflect: true },
  };
  declare machines: Map<string, MachineDescription>;
  declare node: ActorNode;
  /** Transitions of this object so far (up to the replayed point), for each actor's list. */
  declare history: Transition[];
  declare compact: boolean;

  constructor() {
    super();
    this.history = [];
    this.compact = false;
  }

  static override styles = [
    shared,
    css`
      .frame {
        border: 1px solid var(--line);
        border-radius: 8px;
        background: var(--card);
        padding: 10px 12px;
      }
      .frame.child {
        background: #fafbfd;
      }
      header {
        display: flex;
        gap: 10px;
        align-items: baseline;
        flex-wrap: wrap;
        margin-bottom: 6px;
      }
      .name {
        font-weight: 600;
      }
      .state {
        font-family: var(--mono);
        background: #ffe08a;
        padding: 0 6px;
        border-radius: 4px;
      }
      ol {
        margin: 6px 0 0;
        padding-left: 18px;
        font-size: 12.5px;
        font-family: var(--mono);
        color: var(--muted);
      }
      ol li:last-child {
        color: var(--fg);
      }
      .children {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
        gap: 10px;
        margin-top: 10px;
      }
      .children-title {
        margin-top: 10px;
        font-size: 12px;
        color: var(--muted);
        text-transform: uppercase;
        letter-spacing: 0.05em;
      }
    `,
  ];

  override render() {
    const n = this.node;
    const machine = this.machines.get(n.machineKind);
    const title = n.actor === '' ? `${n.at.kind} ${n.at.namespace ? `${n.at.namespace}/` : ''}${n.at.name}` : `${n.machineKind.split('/')[1] ?? ''} ${childName(n.actor)}`;
    const mine = this.history.filter((t) => t.actor === n.actor).slice(-SHOWN_TRANSITIONS);
    return html`
      <section class="frame ${n.actor === '' ? '' : 'child'}" data-actor=${n.actor} data-state=${n.at.to}>
        <header>
          <span class="name">${title}</span>
          <span class="state" title="current state">${n.at.to}</span>
          <span class="muted">${n.at.event ? `after ${n.at.event}` : ''}</span>
        </header>
        ${machine ? html`<kactus-statechart .machine=${machine} .at=${n.at} ?compact=${this.compact}></kactus-statechart>` : html`<p class="muted">no machine "${n.machineKind}" in the catalogue</p>`}
        ${this.compact || mine.length === 0
          ? ''
          : html`<ol class="transitions">
              ${mine.map((t) => html`<li>${t.from || '∅'} → ${t.to} <span>(${t.event})</span></li>`)}
            </ol>`}
        ${n.children.length > 0
          ? html`<div class="children-title">child actors</div>
              <div class="children">
                ${n.children.map((c) => html`<kactus-actor-view .machines=${this.machines} .node=${c} .history=${this.history} ?compact=${this.compact}></kactus-actor-view>`)}
              </div>`
          : ''}
      </section>
    `;
  }
}

customElements.define('kactus-actor-view', ActorView);
