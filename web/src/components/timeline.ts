/**
 * `<kactus-timeline>`: a slider over an object's transitions, first to last. Moving it (or playing)
 * fires `seek` with the position; `live` returns to following the stream. The transition at the
 * position is described under the slider.
 */
import { LitElement, css, html } from 'lit';
import type { Transition } from '../api/types.ts';
import { shared } from './styles.ts';

const PLAY_STEP_MS = 700;

export class Timeline extends LitElement {
  static override properties = {
    items: { attribute: false },
    position: { type: Number },
    live: { type: Boolean },
    playing: { state: true },
  };
  declare items: Transition[];
  declare position: number;
  /** Following the stream (the position is the last item). */
  declare live: boolean;
  declare playing: boolean;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.items = [];
    this.position = 0;
    this.live = true;
    this.playing = false;
  }

  static override styles = [
    shared,
    css`
      .row {
        display: flex;
        gap: 8px;
        align-items: center;
      }
      input[type='range'] {
        flex: 1;
      }
      .at {
        font-family: var(--mono);
        font-size: 12.5px;
        margin-top: 4px;
        min-height: 1.4em;
      }
    `,
  ];

  override disconnectedCallback(): void {
    this.stop();
    super.disconnectedCallback();
  }

  override render() {
    const last = Math.max(0, this.items.length - 1);
    const at = this.items[this.position];
    return html`
      <div class="row">
        <button id="play" @click=${() => (this.playing ? this.stop() : this.play())} ?disabled=${this.items.length < 2}>${this.playing ? 'pause' : 'replay'}</button>
        <input id="slider" type="range" min="0" max=${last} .value=${String(this.position)} ?disabled=${this.items.length === 0} @input=${this.onInput} aria-label="timeline" />
        <span class="muted" id="count">${this.items.length === 0 ? 0 : this.position + 1} / ${this.items.length}</span>
        <button id="live" aria-pressed=${this.live ? 'true' : 'false'} @click=${this.goLive}>live</button>
      </div>
      <div class="at">
        ${at ? html`${new Date(at.time).toLocaleTimeString()} · ${at.actor || at.kind} · ${at.from || '∅'} → ${at.to} (${at.event})` : html`<span class="muted">no transitions yet</span>`}
      </div>
    `;
  }

  private onInput(ev: Event): void {
    this.stop();
    this.seek(Number((ev.target as HTMLInputElement).value));
  }

  private seek(position: number): void {
    this.dispatchEvent(new CustomEvent('seek', { detail: position }));
  }

  private goLive(): void {
    this.stop();
    this.dispatchEvent(new CustomEvent('live'));
  }

  /** Replays from the start (or from where the slider stands, unless it stands at the end). */
  private play(): void {
    this.stop();
    let position = this.live || this.position >= this.items.length - 1 ? 0 : this.position;
    this.playing = true;
    this.seek(position);
    this.timer = setInterval(() => {
      position++;
      if (position >= this.items.length) return this.stop();
      this.seek(position);
    }, PLAY_STEP_MS);
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.playing = false;
  }
}

customElements.define('kactus-timeline', Timeline);
