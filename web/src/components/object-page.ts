/**
 * `<kactus-object-page>`: one object, watched — its state machine (the object's actors live,
 * with a timeline), its YAML, its Events, a pod's logs; for a workload, its pods as live actors.
 * An object the user may not read shows the server's 403 message in place of the page; a tab it
 * may not use (Events without `list events`, logs without `get pods/log`) is disabled, the reason
 * beside it (access reviews, api/access.ts).
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import type { Answer } from '../api/access.ts';
import { isForbidden } from '../api/client.ts';
import { kindByName, kindByResource, resourcePath, type KindInfo } from '../api/kinds.ts';
import { selectorString, type LabelSelector } from '../api/selector.ts';
import type { KubeObject } from '../api/types.ts';
import { listWatch } from '../api/watch.ts';
import type { AppContext } from '../context.ts';
import { formatRoute } from '../router.ts';
import { shared } from './styles.ts';

const OWNER_KINDS = ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'];

type Tab = 'machine' | 'yaml' | 'events' | 'logs';

/** Kinds whose pods the page shows (selected by `spec.selector`). */
const WORKLOADS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'Service']);

export class ObjectPage extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    resource: { type: String },
    namespace: { type: String },
    name: { type: String },
    object: { state: true },
    gone: { state: true },
    hasMachine: { state: true },
    tab: { state: true },
    failure: { state: true },
    forbidden: { state: true },
    denied: { state: true },
  };
  declare ctx: AppContext;
  declare resource: string;
  declare namespace: string | undefined;
  declare name: string;
  declare object: KubeObject | undefined;
  declare gone: boolean;
  declare hasMachine: boolean;
  declare tab: Tab | undefined;
  declare failure: string | undefined;
  /** The 403 message when the object may not be read. */
  declare forbidden: string | undefined;
  /** Tabs the user may not use → Kubernetes' sentence saying why. */
  declare denied: Map<Tab, string>;
  private abort = new AbortController();

  constructor() {
    super();
    this.gone = false;
    this.hasMachine = false;
    this.denied = new Map();
  }

  static override styles = [
    shared,
    css`
      .tabs {
        display: flex;
        gap: 4px;
        border-bottom: 1px solid var(--line);
        margin: 10px 0 12px;
      }
      .tabs button {
        border: none;
        border-bottom: 2px solid transparent;
        border-radius: 0;
        background: none;
        padding: 6px 12px;
      }
      .tabs button[aria-selected='true'] {
        border-bottom-color: var(--accent);
        font-weight: 600;
      }
      .sub {
        color: var(--muted);
      }
      .tabs button:disabled {
        color: var(--muted);
        cursor: not-allowed;
        text-decoration: line-through;
      }
    `,
  ];

  private get info(): KindInfo | undefined {
    return kindByResource(this.resource);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('resource') || changed.has('namespace') || changed.has('name')) this.restart();
  }

  override disconnectedCallback(): void {
    this.abort.abort();
    super.disconnectedCallback();
  }

  private restart(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.object = undefined;
    this.gone = false;
    this.tab = undefined;
    this.failure = undefined;
    this.forbidden = undefined;
    this.denied = new Map();
    const info = this.info;
    if (!info) {
      this.failure = `unknown resource "${this.resource}"`;
      return;
    }
    void this.askTabs(info, this.abort.signal);
    void this.ctx.machines().then((m) => (this.hasMachine = m.has(info.kind)), () => (this.hasMachine = false));
    void listWatch<KubeObject>(
      this.ctx.api,
      resourcePath(info, this.namespace),
      {
        reset: (items) => {
          this.object = items[0];
          this.gone = items.length === 0;
        },
        change: (type, o) => {
          if (type === 'DELETED') this.gone = true;
          else {
            this.object = o;
            this.gone = false;
          }
        },
        error: (err) => {
          if (isForbidden(err)) this.forbidden = err.message;
          else this.failure = err.message;
        },
      },
      this.abort.signal,
      { fieldSelector: `metadata.name=${this.name}` },
    );
  }

  /** Which tabs the user may use here: Events need `list events`, a pod's logs `get pods/log`. */
  private async askTabs(info: KindInfo, signal: AbortSignal): Promise<void> {
    const { access } = this.ctx;
    const ns = info.namespaced ? this.namespace : undefined;
    const [events, logs] = await Promise.all([
      access.can({ verb: 'list', group: '', resource: kindByName('Event')!.resource, ...(ns !== undefined ? { namespace: ns } : {}) }),
      info.kind === 'Pod' ? access.can({ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: ns ?? 'default', name: this.name }) : Promise.resolve<Answer>({ allowed: true }),
    ]);
    if (signal.aborted) return;
    const denied = new Map<Tab, string>();
    if (!events.allowed) denied.set('events', events.message ?? 'forbidden');
    if (!logs.allowed) denied.set('logs', logs.message ?? 'forbidden');
    this.denied = denied;
  }

  override render() {
    const info = this.info;
    if (!info) return html`<p class="error">${this.failure}</p>`;
    if (this.forbidden !== undefined) {
      return html`<h1>${info.kind} <span id="object-name">${this.name}</span></h1>
        <p class="error denied" role="alert" id="forbidden">${this.forbidden}</p>`;
    }
    const tabs: Tab[] = [...(this.hasMachine ? (['machine'] as const) : []), 'yaml', 'events', ...(info.kind === 'Pod' ? (['logs'] as const) : [])];
    const usable = tabs.filter((t) => !this.denied.has(t));
    const tab = this.tab && usable.includes(this.tab) ? this.tab : usable[0]!;
    const o = this.object;
    return html`
      <h1>${info.kind} <span id="object-name">${this.name}</span></h1>
      <div class="sub">
        ${this.namespace ? html`namespace <a href=${formatRoute({ page: 'list', resource: info.resource, namespace: this.namespace })}>${this.namespace}</a> · ` : ''}
        ${o?.status?.phase ? html`phase <b id="phase">${String(o.status.phase)}</b> · ` : ''} ${this.gone ? html`<b class="bad">deleted</b>` : ''}
        ${this.owners(o)}
      </div>
      ${this.failure ? html`<p class="error">${this.failure}</p>` : ''}
      <div class="tabs" role="tablist">
        ${tabs.map(
          (t) =>
            html`<button role="tab" id="tab-${t}" aria-selected=${t === tab ? 'true' : 'false'} ?disabled=${this.denied.has(t)} title=${this.denied.get(t) ?? ''} @click=${() => (this.tab = t)}>
              ${t}
            </button>`,
        )}
      </div>
      ${[...this.denied].map(([t, why]) => html`<p class="muted denied" id="denied-${t}">${t}: not permitted — ${why}</p>`)}
      ${this.renderTab(tab, info, o)}
    `;
  }

  private owners(o: KubeObject | undefined) {
    const refs = o?.metadata.ownerReferences ?? [];
    return refs.map((r) => {
      const owner = OWNER_KINDS.map(kindByResource).find((k) => k?.kind === r.kind);
      return html` · owned by
        ${owner ? html`<a href=${formatRoute({ page: 'object', resource: owner.resource, namespace: this.namespace, name: r.name })}>${r.kind} ${r.name}</a>` : `${r.kind} ${r.name}`}`;
    });
  }

  private renderTab(tab: Tab, info: KindInfo, o: KubeObject | undefined) {
    switch (tab) {
      case 'machine': {
        // Once the object is read: its uid keeps an earlier object of the same name out of the timeline.
        if (!o) return html`<p class="muted">${this.gone ? 'The object does not exist (any more).' : 'loading…'}</p>`;
        const selector = WORKLOADS.has(info.kind) ? selectorString(o.spec?.selector as LabelSelector | undefined) : undefined;
        return html`
          <kactus-actor-panel .ctx=${this.ctx} .kind=${info.kind} .namespace=${this.namespace} .name=${this.name} .uid=${o.metadata.uid}></kactus-actor-panel>
          ${selector
            ? html`<h2>Pods</h2>
                <kactus-actor-grid .ctx=${this.ctx} .filter=${{ kind: 'Pod', namespace: this.namespace, labelSelector: selector }}></kactus-actor-grid>`
            : ''}
        `;
      }
      case 'yaml':
        return html`<kactus-yaml-view .object=${o}></kactus-yaml-view>`;
      case 'events':
        return html`<kactus-events-table .ctx=${this.ctx} .namespace=${info.namespaced ? this.namespace : undefined} .uid=${o?.metadata.uid}></kactus-events-table>`;
      case 'logs': {
        const spec = (o?.spec ?? {}) as { containers?: { name: string }[]; initContainers?: { name: string }[] };
        const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name);
        return html`<kactus-pod-logs .ctx=${this.ctx} .namespace=${this.namespace ?? 'default'} .name=${this.name} .containers=${containers}></kactus-pod-logs>`;
      }
    }
  }
}

customElements.define('kactus-object-page', ObjectPage);
