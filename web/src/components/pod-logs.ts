/**
 * `<kactus-pod-logs>`: one container's log (`pods/{name}/log`), the last lines then followed as
 * they come (`follow=true`), or the previous instance's (`previous=true`) after a restart.
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { kindByName, query, resourcePath } from '../api/kinds.ts';
import type { AppContext } from '../context.ts';
import { shared } from './styles.ts';

const TAIL_LINES = 500;
/** Lines kept on screen while following. */
const MAX_LINES = 5000;

export class PodLogs extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    namespace: { type: String },
    name: { type: String },
    containers: { attribute: false },
    container: { state: true },
    previous: { state: true },
    lines: { state: true },
    failure: { state: true },
  };
  declare ctx: AppContext;
  declare namespace: string;
  declare name: string;
  declare containers: string[];
  declare container: string | undefined;
  declare previous: boolean;
  declare lines: string[];
  declare failure: string | undefined;
  private abort = new AbortController();

  constructor() {
    super();
    this.containers = [];
    this.previous = false;
    this.lines = [];
  }

  static override styles = [
    shared,
    css`
      .tools {
        display: flex;
        gap: 12px;
        align-items: center;
        margin-bottom: 8px;
      }
      pre {
        background: #10141c;
        color: #d8dee9;
        border-radius: 6px;
        padding: 10px 12px;
        max-height: 65vh;
        overflow: auto;
        margin: 0;
        white-space: pre-wrap;
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (this.container === undefined && this.containers.length > 0) this.container = this.containers[0];
    if (changed.has('container') || changed.has('previous') || changed.has('name') || changed.has('namespace')) this.follow();
  }

  override disconnectedCallback(): void {
    this.abort.abort();
    super.disconnectedCallback();
  }

  private follow(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.lines = [];
    this.failure = undefined;
    if (!this.container) return;
    const path = `${resourcePath(kindByName('Pod')!, this.namespace, this.name)}/log${query({
      container: this.container,
      tailLines: TAIL_LINES,
      follow: !this.previous,
      previous: this.previous || undefined,
    })}`;
    const signal = this.abort.signal;
    let pending: string[] = [];
    let scheduled = false;
    // Batch lines per frame: a chatty container must not re-render once per line.
    const flush = (): void => {
      scheduled = false;
      this.lines = [...this.lines, ...pending].slice(-MAX_LINES);
      pending = [];
    };
    this.ctx.api
      .lines(
        path,
        (line) => {
          pending.push(line);
          if (!scheduled) {
            scheduled = true;
            requestAnimationFrame(flush);
          }
        },
        { accept: 'text/plain', signal },
      )
      .catch((err: Error) => {
        if (!signal.aborted) this.failure = err.message;
      });
  }

  override render() {
    return html`
      <div class="tools">
        <label
          >container
          <select @change=${(ev: Event) => (this.container = (ev.target as HTMLSelectElement).value)}>
            ${this.containers.map((c) => html`<option ?selected=${c === this.container}>${c}</option>`)}
          </select></label
        >
        <label><input type="checkbox" .checked=${this.previous} @change=${(ev: Event) => (this.previous = (ev.target as HTMLInputElement).checked)} /> previous instance</label>
      </div>
      ${this.failure ? html`<p class="error">${this.failure}</p>` : ''}
      <pre id="log">${this.lines.join('\n')}</pre>
    `;
  }
}

customElements.define('kactus-pod-logs', PodLogs);
