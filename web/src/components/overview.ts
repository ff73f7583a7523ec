/**
 * `<kactus-overview>`: the cluster at a glance — nodes with capacity and usage (metrics.k8s.io
 * when the server serves it), pods by phase, workloads with ready/desired counts. Nodes and pods
 * are watched (live); workloads are re-listed every few seconds (a browser holds at most six HTTP
 * connections to one server, and each watch keeps one).
 *
 * In one namespace (`namespace`) or all. What the user may not list is not asked (an access
 * review first, api/access.ts): the nodes section then says that nodes are not permitted, in
 * Kubernetes' words, and a workload kind's row says so; a 403 answered anyway is shown in place.
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { kindQuestion } from '../api/access.ts';
import { isForbidden } from '../api/client.ts';
import { kindByName, resourcePath } from '../api/kinds.ts';
import type { KubeList, KubeObject } from '../api/types.ts';
import { listWatch } from '../api/watch.ts';
import type { AppContext } from '../context.ts';
import { formatBytes, formatCpu, parseQuantity, percent } from '../format.ts';
import { formatRoute } from '../router.ts';
import { shared } from './styles.ts';
import { Subscriptions } from './subscriptions.ts';

interface NodeUsage {
  cpu: number;
  memory: number;
}

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'] as const;
const WORKLOAD_POLL_MS = 5000;
const METRICS_POLL_MS = 10_000;

/** Keeps a live map of objects by uid from a list-watch. */
function liveMap(onChange: () => void): { map: Map<string, KubeObject>; handlers: Parameters<typeof listWatch<KubeObject>>[2] } {
  const map = new Map<string, KubeObject>();
  const key = (o: KubeObject): string => o.metadata.uid ?? `${o.metadata.namespace}/${o.metadata.name}`;
  return {
    map,
    handlers: {
      reset(items) {
        map.clear();
        for (const o of items) map.set(key(o), o);
        onChange();
      },
      change(type, o) {
        if (type === 'DELETED') map.delete(key(o));
        else map.set(key(o), o);
        onChange();
      },
    },
  };
}

export class Overview extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    namespace: { attribute: false },
    tick: { state: true },
    usage: { state: true },
    workloads: { state: true },
    failure: { state: true },
    nodesDenied: { state: true },
    denied: { state: true },
  };
  declare ctx: AppContext;
  /** The namespace shown (pods, workloads); undefined: all. */
  declare namespace: string | undefined;
  declare tick: number;
  /** Node name → usage; undefined while metrics.k8s.io is not served. */
  declare usage: Map<string, NodeUsage> | undefined;
  declare workloads: Map<string, KubeObject[]>;
  declare failure: string | undefined;
  /** Kubernetes' sentence when the user may not list nodes (the section says so instead). */
  declare nodesDenied: string | undefined;
  /** Workload kind → Kubernetes' sentence, for the kinds the user may not list here. */
  declare denied: Map<string, string>;

  private readonly subscriptions = new Subscriptions(this);
  private readonly nodes = liveMap(() => this.tick++);
  private readonly pods = liveMap(() => this.tick++);
  private started = false;

  constructor() {
    super();
    this.tick = 0;
    this.workloads = new Map();
    this.denied = new Map();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('ctx') || changed.has('namespace')) this.restart();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-attached after leaving the page: start over (the controller ended the last round).
    if (this.started && this.subscriptions.signal.aborted) this.restart();
  }

  private restart(): void {
    this.started = true;
    this.subscriptions.renew();
    const signal = this.subscriptions.signal;
    const { api, access } = this.ctx;
    const ns = this.namespace;
    this.failure = undefined;
    this.nodesDenied = undefined;
    this.usage = undefined;
    this.workloads = new Map();
    this.denied = new Map();
    this.nodes.handlers.reset([]);
    this.pods.handlers.reset([]);
    const onError = (err: Error): void => {
      this.failure = err.message;
    };
    void access.can(kindQuestion(kindByName('Node')!, 'list')).then((answer) => {
      if (signal.aborted) return;
      if (!answer.allowed) {
        this.nodesDenied = answer.message;
        return;
      }
      void listWatch(api, resourcePath(kindByName('Node')!), { ...this.nodes.handlers, error: onError }, signal);
      void this.pollMetrics(signal);
      const metrics = setInterval(() => void this.pollMetrics(signal), METRICS_POLL_MS);
      signal.addEventListener('abort', () => clearInterval(metrics), { once: true });
    });
    void listWatch(api, resourcePath(kindByName('Pod')!, ns), { ...this.pods.handlers, error: onError }, signal);
    void Promise.all(WORKLOADS.map(async (kind) => [kind, await access.can(kindQuestion(kindByName(kind)!, 'list', ns))] as const)).then((answers) => {
      if (signal.aborted) return;
      this.denied = new Map(answers.filter(([, a]) => !a.allowed).map(([kind, a]) => [kind, a.message ?? 'forbidden']));
      const readable = answers.filter(([, a]) => a.allowed).map(([kind]) => kind);
      void this.pollWorkloads(readable, signal);
      const workloads = setInterval(() => void this.pollWorkloads(readable, signal), WORKLOAD_POLL_MS);
      signal.addEventListener('abort', () => clearInterval(workloads), { once: true });
    });
  }

  private async pollWorkloads(kinds: readonly string[], signal: AbortSignal): Promise<void> {
    const next = new Map<string, KubeObject[]>();
    const denied = new Map(this.denied);
    await Promise.all(
      kinds.map(async (kind) => {
        try {
          next.set(kind, (await this.ctx.api.json<KubeList>(resourcePath(kindByName(kind)!, this.namespace), { signal })).items);
        } catch (err) {
          if (isForbidden(err)) denied.set(kind, err.message);
          next.set(kind, this.workloads.get(kind) ?? []);
        }
      }),
    );
    if (signal.aborted) return;
    this.workloads = next;
    if (denied.size !== this.denied.size) this.denied = denied;
  }

  private async pollMetrics(signal: AbortSignal): Promise<void> {
    try {
      const list = await this.ctx.api.json<KubeList<{ metadata: { name: string }; usage: { cpu: string; memory: string } }>>('/apis/metrics.k8s.io/v1beta1/nodes', { signal });
      if (!signal.aborted) this.usage = new Map(list.items.map((m) => [m.metadata.name, { cpu: parseQuantity(m.usage.cpu), memory: parseQuantity(m.usage.memory) }]));
    } catch {
      if (!signal.aborted) this.usage = undefined;
    }
  }

  static override styles = [
    shared,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
        gap: 14px;
      }
      .phases {
        display: flex;
        gap: 18px;
        flex-wrap: wrap;
      }
      .phase b {
        display: block;
        font-size: 26px;
      }
      .bar {
        display: flex;
        height: 10px;
        border-radius: 5px;
        overflow: hidden;
        background: var(--line);
        margin-top: 10px;
      }
      .bar span.Pending {
        background: var(--warn);
      }
      .bar span.Running {
        background: var(--good);
      }
      .bar span.Succeeded {
        background: var(--accent);
      }
      .bar span.Failed {
        background: var(--bad);
      }
      .bar span.Unknown {
        background: var(--muted);
      }
      meter {
        width: 70px;
        vertical-align: middle;
      }
    `,
  ];

  override render() {
    const pods = [...this.pods.map.values()];
    const byPhase = new Map<string, number>(PHASES.map((p) => [p, 0]));
    for (const p of pods) {
      const phase = (p.status?.phase as string | undefined) ?? 'Pending';
      byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1);
    }
    const podsOnNode = new Map<string, number>();
    for (const p of pods) {
      const node = p.spec?.nodeName as string | undefined;
      if (node && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') podsOnNode.set(node, (podsOnNode.get(node) ?? 0) + 1);
    }
    return html`
      <h1>Cluster overview${this.namespace !== undefined ? html` <span class="muted" id="overview-namespace">namespace ${this.namespace}</span>` : ''}</h1>
      ${this.failure ? html`<p class="error" role="alert">${this.failure}</p>` : ''}
      <div class="grid">
        <section class="card" id="pods">
          <h2>Pods by phase</h2>
          <div class="phases">
            ${[...byPhase].map(([phase, n]) => html`<div class="phase" data-phase=${phase}><b>${n}</b>${phase}</div>`)}
          </div>
          <div class="bar">
            ${[...byPhase].filter(([, n]) => n > 0).map(([phase, n]) => html`<span class=${phase} style="flex: ${n}"></span>`)}
          </div>
        </section>
        <section class="card" id="workloads">
          <h2>Workloads</h2>
          <table>
            <tr><th>kind</th><th>count</th><th>ready</th></tr>
            ${WORKLOADS.map((kind) => this.workloadRow(kind))}
          </table>
        </section>
      </div>
      <h2>Nodes</h2>
      ${this.nodesDenied !== undefined
        ? html`<p class="card denied" id="nodes-forbidden">Nodes are not shown: you may not list them.<br /><span class="muted">${this.nodesDenied}</span></p>`
        : html`<table id="nodes">
              <tr><th>name</th><th>status</th><th>cpu</th><th>memory</th><th>pods</th></tr>
              ${[...this.nodes.map.values()].map((n) => this.nodeRow(n, podsOnNode.get(n.metadata.name) ?? 0))}
            </table>
            ${this.usage === undefined ? html`<p class="muted">Usage appears when the server serves metrics.k8s.io.</p>` : ''}`}
    `;
  }

  private workloadRow(kind: (typeof WORKLOADS)[number]) {
    const items = this.workloads.get(kind) ?? [];
    let ready = 0;
    let desired = 0;
    for (const o of items) {
      const s = (o.status ?? {}) as Record<string, number | undefined>;
      const spec = (o.spec ?? {}) as Record<string, number | undefined>;
      if (kind === 'DaemonSet') {
        ready += s.numberReady ?? 0;
        desired += s.desiredNumberScheduled ?? 0;
      } else if (kind === 'Job') {
        ready += s.succeeded ?? 0;
        desired += spec.completions ?? 1;
      } else if (kind !== 'CronJob') {
        ready += s.readyReplicas ?? 0;
        desired += spec.replicas ?? 1;
      }
    }
    const k = kindByName(kind)!;
    const denied = this.denied.get(kind);
    if (denied !== undefined) {
      return html`<tr data-kind=${kind} class="denied"><td>${k.title}</td><td colspan="2" class="muted" title=${denied}>not permitted</td></tr>`;
    }
    return html`<tr data-kind=${kind}>
      <td><a href=${formatRoute({ page: 'list', resource: k.resource, ...(this.namespace !== undefined ? { namespace: this.namespace } : {}) })}>${k.title}</a></td>
      <td>${items.length}</td>
      <td>${kind === 'CronJob' ? '' : html`<span class=${ready >= desired ? 'ok' : 'warn'}>${ready}/${desired}</span>`}</td>
    </tr>`;
  }

  private nodeRow(n: KubeObject, podCount: number) {
    const status = (n.status ?? {}) as { capacity?: Record<string, string>; allocatable?: Record<string, string>; conditions?: { type: string; status: string }[] };
    const readyCond = status.conditions?.find((c) => c.type === 'Ready');
    const ready = readyCond?.status === 'True' ? 'Ready' : readyCond?.status === 'False' ? 'NotReady' : 'Unknown';
    const cpuCap = parseQuantity(status.allocatable?.cpu ?? status.capacity?.cpu);
    const memCap = parseQuantity(status.allocatable?.memory ?? status.capacity?.memory);
    const podCap = parseQuantity(status.allocatable?.pods ?? status.capacity?.pods);
    const use = this.usage?.get(n.metadata.name);
    const meter = (v: number, max: number) => (use ? html`<meter min="0" max=${max} value=${v}></meter> ` : '');
    return html`<tr data-node=${n.metadata.name}>
      <td><a href=${formatRoute({ page: 'object', resource: 'nodes', name: n.metadata.name })}>${n.metadata.name}</a></td>
      <td class=${ready === 'Ready' ? 'ok' : 'bad'}>${ready}${n.spec?.unschedulable ? ', SchedulingDisabled' : ''}</td>
      <td>${use ? html`${meter(use.cpu, cpuCap)}${formatCpu(use.cpu)} / ` : ''}${formatCpu(cpuCap)} ${use ? html`<span class="muted">(${percent(use.cpu, cpuCap)})</span>` : ''}</td>
      <td>${use ? html`${meter(use.memory, memCap)}${formatBytes(use.memory)} / ` : ''}${formatBytes(memCap)} ${use ? html`<span class="muted">(${percent(use.memory, memCap)})</span>` : ''}</td>
      <td>${podCount} / ${Number.isFinite(podCap) ? podCap : '–'}</td>
    </tr>`;
  }
}

customElements.define('kactus-overview', Overview);
