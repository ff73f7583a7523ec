/**
 * `<kactus-statechart>`: one machine drawn as a statechart, laid out by elkjs from the machine's
 * own description (machine/graph.ts) — compound states as containers, parallel regions dashed,
 * initial dots, final states doubled, transitions as edges labelled `event [guard] / actions`.
 * Given the transition that led to the state shown (`at`: from, to, event, index), the active
 * states are highlighted and the edges it took flash once (again whenever `at.index` changes).
 *
 * Every state is a `<g class="state" data-state="<id>">` (`active` when active), every edge a
 * `<g class="edge" data-edge="<source>-><target>">` (`taken` when the last transition took it):
 * what the browser tests look for.
 */
import { LitElement, css, html, nothing, svg, unsafeCSS, type PropertyValues } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import type { MachineDescription, Transition } from '../api/types.ts';
import { DETAIL_SIZE, LABEL_SIZE, TITLE_SIZE, type ChartGeometry, type EdgePath, type StateBox } from '../machine/graph.ts';
import { layoutMachine } from '../machine/layout.ts';
import { activeStates, firedEdges } from '../machine/state-path.ts';
import { CHART_FONT } from '../machine/measure.ts';

const LINE = 15;

function pathOf(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
}

export class Statechart extends LitElement {
  static override properties = {
    machine: { attribute: false },
    at: { attribute: false },
    compact: { type: Boolean, reflect: true },
    geometry: { state: true },
    failure: { state: true },
    zoom: { state: true },
  };

  declare machine: MachineDescription | undefined;
  /** The transition into the state to show; none draws the machine alone. */
  declare at: Pick<Transition, 'from' | 'to' | 'event' | 'index'> | undefined;
  /** A small, label-less drawing (actor grids). */
  declare compact: boolean;
  declare geometry: ChartGeometry | undefined;
  declare failure: string | undefined;
  /** 0 fits the width; otherwise a scale factor. */
  declare zoom: number;

  /** Derived from `at` and the machine. */
  private active = new Set<string>();
  private fired: string[] = [];

  constructor() {
    super();
    this.compact = false;
    this.zoom = 0;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if ((changed.has('at') || changed.has('machine')) && this.machine) {
      this.active = this.at ? activeStates(this.machine, this.at.to).ids : new Set();
      this.fired = this.at ? firedEdges(this.machine, activeStates(this.machine, this.at.from).ids, this.active, this.at.event) : [];
    }
    if (changed.has('machine') && this.machine) {
      const machine = this.machine;
      this.geometry = undefined;
      layoutMachine(machine).then(
        (g) => {
          if (this.machine === machine) this.geometry = g;
        },
        (err: unknown) => {
          this.failure = `layout failed: ${String(err)}`;
        },
      );
    }
  }

  static override styles = css`
    :host {
      display: block;
      --state-fill: #ffffff;
      --state-stroke: #8a94a6;
      --active-fill: #fff4cc;
      --active-stroke: #d08700;
      --edge: #7b8494;
      --fired: #e8590c;
    }
    .tools {
      display: flex;
      gap: 4px;
      justify-content: flex-end;
      margin-bottom: 4px;
    }
    .tools button {
      font: 12px var(--font, sans-serif);
      border: 1px solid #ccd;
      background: #fff;
      border-radius: 4px;
      cursor: pointer;
    }
    .scroll {
      overflow: auto;
      max-height: var(--chart-max-height, 75vh);
      border: 1px solid #e3e6ec;
      border-radius: 6px;
      background: #fbfcfe;
    }
    :host([compact]) .scroll {
      border: none;
      background: transparent;
      max-height: none;
    }
    svg {
      display: block;
    }
    .state > rect.box {
      fill: var(--state-fill);
      stroke: var(--state-stroke);
      stroke-width: 1.2;
    }
    .state.depth-0 > rect.box {
      fill: #f4f6fa;
    }
    .state.compound > rect.box,
    .state.parallel > rect.box {
      fill-opacity: 0.55;
    }
    .state.parallel > rect.box {
      stroke-dasharray: 6 4;
    }
    .state.active > rect.box {
      fill: var(--active-fill);
      stroke: var(--active-stroke);
      stroke-width: 2;
    }
    .state.active.leaf > rect.box {
      fill: #ffe08a;
      stroke-width: 3;
    }
    /* An active container only outlined, and the root (always active) not at all: the leaves stand out. */
    .state.active.compound > rect.box,
    .state.active.parallel > rect.box {
      fill: #fffbea;
    }
    .state.active.depth-0 > rect.box {
      fill: #f4f6fa;
      stroke: var(--state-stroke);
      stroke-width: 1.2;
    }
    :host([compact]) .state.active.leaf > rect.box {
      stroke-width: 6;
    }
    .state.entered > rect.box {
      animation: entered 1.2s ease-out;
    }
    @keyframes entered {
      0% {
        stroke: var(--fired);
        stroke-width: 6;
      }
      100% {
        stroke-width: 2;
      }
    }
    .title {
      font-weight: 600;
      font-size: ${TITLE_SIZE}px;
      fill: #1d2433;
    }
    .line {
      font-size: ${DETAIL_SIZE}px;
      fill: #566072;
    }
    .line.internal {
      fill: #3b5bdb;
    }
    text {
      font-family: ${unsafeCSS(CHART_FONT)};
    }
    .edge path {
      fill: none;
      stroke: var(--edge);
      stroke-width: 1.3;
    }
    .edge.initial path {
      stroke: #1d2433;
    }
    .edge .label {
      font-size: ${LABEL_SIZE}px;
      fill: #2b3242;
    }
    .edge .label-bg {
      fill: #fbfcfe;
      fill-opacity: 0.85;
    }
    .edge.taken path {
      stroke: var(--fired);
      stroke-width: 2;
    }
    .fired path {
      fill: none;
      stroke: var(--fired);
      stroke-width: 4;
      stroke-dasharray: 10 6;
      animation: flow 1.2s linear, fade 2.4s ease-out forwards;
    }
    @keyframes flow {
      from {
        stroke-dashoffset: 64;
      }
      to {
        stroke-dashoffset: 0;
      }
    }
    @keyframes fade {
      0%,
      60% {
        opacity: 1;
      }
      100% {
        opacity: 0;
      }
    }
    .dot {
      fill: #1d2433;
    }
    :host([compact]) .edge .label,
    :host([compact]) .edge .label-bg,
    :host([compact]) .line {
      display: none;
    }
  `;

  override render() {
    if (this.failure) return html`<p class="error">${this.failure}</p>`;
    const g = this.geometry;
    if (!g) return html`<p class="muted">laying out ${this.machine?.kind ?? ''}…</p>`;
    const firedTransitions = new Set(this.fired);
    const fired = new Set(g.edges.filter((e) => e.transitions.some((id) => firedTransitions.has(id))).map((e) => e.id));
    const entered = new Set(g.edges.filter((e) => fired.has(e.id)).map((e) => e.target));
    const width = this.compact || this.zoom === 0 ? '100%' : `${Math.round(g.width * this.zoom)}px`;
    const chart = svg`
      <svg viewBox="-4 -4 ${g.width + 8} ${g.height + 8}" width=${width} role="img" aria-label="statechart of ${this.machine?.kind ?? ''}">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#7b8494"></path>
          </marker>
        </defs>
        ${g.states.map((s) => this.renderState(s, entered))}
        ${g.dots.map((d) => svg`<circle class="dot" cx=${d.x} cy=${d.y} r=${d.r}></circle>`)}
        ${g.edges.map((e) => this.renderEdge(e, fired.has(e.id)))}
        ${keyed(this.at?.index ?? -1, svg`<g class="fired">${g.edges.filter((e) => fired.has(e.id)).map((e) => svg`<path d=${pathOf(e.points)}></path>`)}</g>`)}
      </svg>`;
    return html`
      ${this.compact
        ? nothing
        : html`<div class="tools">
            <button title="zoom out" @click=${() => this.setZoom(this.zoom === 0 ? 0.8 : this.zoom / 1.25)}>−</button>
            <button title="fit the width" @click=${() => this.setZoom(0)}>fit</button>
            <button title="zoom in" @click=${() => this.setZoom(this.zoom === 0 ? 1 : this.zoom * 1.25)}>+</button>
          </div>`}
      <div class="scroll">${chart}</div>
    `;
  }

  private setZoom(zoom: number): void {
    this.zoom = zoom === 0 ? 0 : Math.min(3, Math.max(0.2, zoom));
  }

  private renderState(s: StateBox, entered: Set<string>) {
    const active = this.active.has(s.id);
    const leaf = active && s.type !== 'compound' && s.type !== 'parallel';
    const classes = ['state', s.type, `depth-${s.depth}`, active ? 'active' : '', leaf ? 'leaf' : '', entered.has(s.id) ? 'entered' : ''].join(' ');
    return svg`
      <g class=${classes} data-state=${s.id}>
        <rect class="box" x=${s.x} y=${s.y} width=${s.width} height=${s.height} rx="8"></rect>
        ${s.type === 'final' ? svg`<rect class="box" x=${s.x + 3} y=${s.y + 3} width=${s.width - 6} height=${s.height - 6} rx="6"></rect>` : nothing}
        <text class="title" x=${s.x + 8} y=${s.y + 8 + TITLE_SIZE}>${s.key}</text>
        ${s.lines.map((l, i) => svg`<text class="line ${l.kind}" x=${s.x + 8} y=${s.y + 8 + TITLE_SIZE + (i + 1) * LINE}>${l.text}</text>`)}
      </g>`;
  }

  private renderEdge(e: EdgePath, taken: boolean) {
    const l = e.label;
    return svg`
      <g class="edge ${e.initial ? 'initial' : ''} ${taken ? 'taken' : ''}" data-edge=${e.id}>
        <path d=${pathOf(e.points)} marker-end="url(#arrow)"></path>
        ${l
          ? svg`<rect class="label-bg" x=${l.x} y=${l.y} width=${l.width} height=${l.height}></rect>
              ${l.lines.map((line, i) => svg`<text class="label" x=${l.x + 2} y=${l.y + (i + 1) * LINE - 4}>${line}</text>`)}`
          : nothing}
      </g>`;
  }
}

customElements.define('kactus-statechart', Statechart);
