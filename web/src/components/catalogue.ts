/**
 * `<kactus-catalogue>`: every kind's machine (`GET /kactus/v1/machines`) drawn as a statechart,
 * with the events it accepts and its guards, actions, actors and delays named — the lifecycle
 * rules of the cluster as they run, not as a document describes them.
 */
import { LitElement, css, html } from 'lit';
import type { MachineDescription } from '../api/types.ts';
import type { AppContext } from '../context.ts';
import { shared } from './styles.ts';

export class Catalogue extends LitElement {
  static override properties = { ctx: { attribute: false }, machines: { state: true }, failure: { state: true } };
  declare ctx: AppContext;
  declare machines: MachineDescription[] | undefined;
  declare failure: string | undefined;

  static override styles = [
    shared,
    css`
      nav {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        margin-bottom: 10px;
      }
      section {
        margin-bottom: 28px;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 4px 14px;
        margin: 10px 0 0;
        font-size: 13px;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        min-width: 0;
      }
      dd code {
        background: var(--chip);
        padding: 0 5px;
        border-radius: 4px;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.ctx.machines().then(
      (m) => (this.machines = [...m.values()]),
      (err: Error) => (this.failure = err.message),
    );
  }

  override render() {
    if (this.failure) return html`<p class="error">${this.failure}</p>`;
    if (!this.machines) return html`<p class="muted">loading…</p>`;
    return html`
      <h1>Machines</h1>
      <p class="muted">Each kind's lifecycle as the cluster runs it, drawn from the machine's own definition.</p>
      <nav>${this.machines.map((m) => html`<a class="chip" href="#/machines" @click=${(ev: Event) => this.jump(ev, m.kind)}>${m.kind}</a>`)}</nav>
      ${this.machines.map(
        (m) => html`<section class="card machine" id=${this.anchor(m.kind)} data-kind=${m.kind}>
          <h2>${m.kind} <span class="muted">(machine "${m.id}")</span></h2>
          <kactus-statechart .machine=${m}></kactus-statechart>
          <dl>
            ${this.names('events', m.events)} ${this.names('guards', m.guards)} ${this.names('actions', m.actions)} ${this.names('actors', m.actors)}
            ${this.names('delays', m.delays)}
          </dl>
        </section>`,
      )}
    `;
  }

  private names(title: string, names: string[]) {
    return names.length === 0 ? '' : html`<dt>${title}</dt><dd class=${title}>${names.map((n) => html`<code>${n}</code>`)}</dd>`;
  }

  private anchor(kind: string): string {
    return `machine-${kind.replace(/[^A-Za-z0-9]/g, '-')}`;
  }

  /** Scrolls to a machine without changing the route (the hash is the router's). */
  private jump(ev: Event, kind: string): void {
    ev.preventDefault();
    this.renderRoot.querySelector(`#${this.anchor(kind)}`)?.scrollIntoView({ behavior: 'smooth' });
  }
}

customElements.define('kactus-catalogue', Catalogue);
