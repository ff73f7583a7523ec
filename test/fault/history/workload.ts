/**
 * The client workload of a fault run: N concurrent clients, each a loop of API operations with a
 * deadline each, every operation recorded in one history (history.ts) for the checker.
 *
 * - ConfigMaps: create / get / update with the resourceVersion the client last saw / delete, on a
 *   few names at a time. The names change every `keyLifetimeMs` (all clients move together, by
 *   the clock), so that each key's history stays short enough to check: the search is exponential
 *   in the operations that overlap, and a key's unknown operations overlap all that follow them.
 * - Deployments (made at the start, recorded too): `spec.replicas` written and read through the
 *   scale subresource (`kubectl scale`'s merge patch), rollouts (a strategic merge patch of an env
 *   value of the pod template), and reads of both.
 *
 * Values written are unique (`<client>.<n>`), so a read names the write it saw.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { FailoverClient, NotSentError, OutcomeUnknownError, type ApiAnswer, type ApiBody, type ApiClientOptions, type ApiEndpoint } from './api-client.ts';
import { HistoryRecorder, type History, type Outcome } from './history.ts';
import type { DeploymentSpecInput, DeploymentSpecOutput } from './models/deployment-spec.ts';
import type { KubeObjectInput, KubeObjectOutput } from './models/kube-object.ts';

export type WorkloadInput = KubeObjectInput | DeploymentSpecInput;
export type WorkloadOutput = KubeObjectOutput | DeploymentSpecOutput;
export type WorkloadHistory = History<WorkloadInput, WorkloadOutput>;

/** The history key of a ConfigMap and of a Deployment (the checker picks the model by its first word). */
export const configMapKey = (namespace: string, name: string): string => `ConfigMap ${namespace}/${name}`;
export const deploymentKey = (namespace: string, name: string): string => `Deployment ${namespace}/${name}`;

/** How often each kind of operation is picked (relative weights). */
export interface OperationMix {
  configMapGet: number;
  configMapCreate: number;
  configMapUpdate: number;
  configMapDelete: number;
  scale: number;
  scaleGet: number;
  rollout: number;
  deploymentGet: number;
}

export const DEFAULT_MIX: OperationMix = {
  configMapGet: 30,
  configMapCreate: 10,
  configMapUpdate: 25,
  configMapDelete: 8,
  scale: 8,
  scaleGet: 8,
  rollout: 3,
  deploymentGet: 8,
};

export interface WorkloadOptions {
  /** The masters' APIs; clients fail over between them. */
  endpoints: ApiEndpoint[];
  /** Prefix of every object name (DNS-1123; unique per run). */
  prefix: string;
  namespace?: string;
  /** Concurrent clients. Default 4. */
  clients?: number;
  /** ConfigMap names in use at a time. Default 3. */
  configMapSlots?: number;
  /** How long a ConfigMap name is used before all clients move to new ones. Default 10 s. */
  keyLifetimeMs?: number;
  /** Deployments the workload makes and then scales and rolls. Default 1. */
  deployments?: number;
  /** Highest replica count a scale asks for (from 1). Default 3. */
  maxReplicas?: number;
  /** Pause between one client's operations. Default 20 ms. */
  thinkMs?: number;
  mix?: Partial<OperationMix>;
  /** Per-operation deadline and TLS handshake timeout (api-client.ts). Default 5 s and 1 s. */
  api?: ApiClientOptions;
  /** Random numbers in [0, 1) (a seeded generator makes the choices repeatable). Default Math.random. */
  random?: () => number;
  /** The pod template's container (a long sleep of busybox unless given). */
  container?: Record<string, unknown>;
}

/** A running workload. */
export interface Workload {
  /** The history so far (live: operations are appended and completed while it runs). */
  readonly history: WorkloadHistory;
  readonly recorder: HistoryRecorder<WorkloadInput, WorkloadOutput>;
  readonly namespace: string;
  /** The Deployments' names. */
  readonly deployments: string[];
  /** Every ConfigMap name any client has used. */
  readonly configMaps: Set<string>;
  /** Operations that got an answer the models do not know (4xx other than 404/409, 5xx), by `status reason`. */
  readonly oddAnswers: Map<string, number>;
  /** A client of the same masters and the workload's calls, for post-run checks. */
  readonly client: FailoverClient;
  readonly api: ApiOps;
  /** Stops the clients and waits for their open operations to end (each within its deadline). */
  stop(): Promise<WorkloadHistory>;
}

const ROLLOUT_ENV = 'ROLLOUT';

/** The Deployment the workload makes: one container whose env carries the rollout marker. */
export function workloadDeployment(name: string, replicas: number, rollout: string, container?: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'main',
              image: 'busybox',
              command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
              resources: { requests: { cpu: '10m' } },
              ...container,
              env: [{ name: ROLLOUT_ENV, value: rollout }],
            },
          ],
        },
      },
    },
  };
}

/** Makes the Deployments (recorded as creates) and starts the clients. */
export async function startWorkload(opts: WorkloadOptions): Promise<Workload> {
  const namespace = opts.namespace ?? 'default';
  const random = opts.random ?? Math.random;
  const recorder = new HistoryRecorder<WorkloadInput, WorkloadOutput>();
  const oddAnswers = new Map<string, number>();
  const configMaps = new Set<string>();
  const mix = { ...DEFAULT_MIX, ...opts.mix };
  const slots = opts.configMapSlots ?? 3;
  const keyLifetimeMs = opts.keyLifetimeMs ?? 10_000;
  const maxReplicas = opts.maxReplicas ?? 3;
  const thinkMs = opts.thinkMs ?? 20;
  const api = new ApiOps(namespace, oddAnswers);
  const deployments = Array.from({ length: opts.deployments ?? 1 }, (_, i) => `${opts.prefix}-d${i}`);

  // Process 0 makes the Deployments before any client starts: each must exist for the run.
  const setup = new FailoverClient(opts.endpoints, opts.api);
  for (const name of deployments) {
    for (;;) {
      const op = await recorder.invoke(0, deploymentKey(namespace, name), { kind: 'create', replicas: 1, rollout: 'r0' }, () => api.createDeployment(setup, name, 1, 'r0', opts.container));
      const out = op.output;
      if (out !== 'unknown' && (out.status === 'ok' || out.status === 'AlreadyExists')) break;
      if (recorder.now() > 60_000) throw new Error(`could not create Deployment ${name}: ${op.error ?? JSON.stringify(out)}`);
    }
  }

  let stopping = false;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const clientLoop = async (process: number): Promise<void> => {
    const client = new FailoverClient(opts.endpoints, opts.api);
    // The resourceVersion this client last saw of each ConfigMap (its update precondition).
    const seen = new Map<string, string>();
    let n = 0;
    while (!stopping) {
      const value = `${process}.${n++}`;
      const kind = weighted(mix, random);
      if (kind.startsWith('configMap')) {
        const name = `${opts.prefix}-c${Math.floor(random() * slots)}-g${Math.floor(recorder.now() / keyLifetimeMs)}`;
        configMaps.add(name);
        const key = configMapKey(namespace, name);
        const rv = seen.get(name);
        let op;
        if (kind === 'configMapCreate') op = await recorder.invoke(process, key, { kind: 'create', value }, () => api.createConfigMap(client, name, value));
        else if (kind === 'configMapUpdate' && rv !== undefined) op = await recorder.invoke(process, key, { kind: 'update', value, rv }, () => api.updateConfigMap(client, name, value, rv));
        else if (kind === 'configMapDelete') op = await recorder.invoke(process, key, { kind: 'delete' }, () => api.deleteConfigMap(client, name));
        else op = await recorder.invoke(process, key, { kind: 'get' }, () => api.getConfigMap(client, name));
        const out = op.output;
        if (out !== 'unknown' && out.status === 'ok' && 'rv' in out && out.rv !== undefined) seen.set(name, out.rv);
      } else {
        const name = pick(deployments);
        const key = deploymentKey(namespace, name);
        if (kind === 'scale') {
          const replicas = 1 + Math.floor(random() * maxReplicas);
          await recorder.invoke(process, key, { kind: 'scale', replicas }, () => api.scale(client, name, replicas));
        } else if (kind === 'scaleGet') await recorder.invoke(process, key, { kind: 'get-scale' }, () => api.getScale(client, name));
        else if (kind === 'rollout') await recorder.invoke(process, key, { kind: 'rollout', rollout: `r${value}` }, () => api.rollout(client, name, `r${value}`));
        else await recorder.invoke(process, key, { kind: 'get' }, () => api.getDeployment(client, name));
      }
      if (thinkMs > 0) await delay(thinkMs * (0.5 + random()));
    }
  };
  const loops = Array.from({ length: opts.clients ?? 4 }, (_, i) => clientLoop(i + 1));
  return {
    history: recorder.ops,
    recorder,
    namespace,
    deployments,
    configMaps,
    oddAnswers,
    client: setup,
    api,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return recorder.ops;
    },
  };
}

function weighted(mix: OperationMix, random: () => number): keyof OperationMix {
  const entries = Object.entries(mix) as [keyof OperationMix, number][];
  let r = random() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [kind, w] of entries) {
    r -= w;
    if (r < 0) return kind;
  }
  return entries[0]![0];
}

/** The API calls of the workload, each turned into what the history records. */
export class ApiOps {
  constructor(
    readonly namespace: string,
    private readonly oddAnswers: Map<string, number>,
  ) {}

  private configMapPath(name?: string): string {
    return `/api/v1/namespaces/${this.namespace}/configmaps${name ? `/${name}` : ''}`;
  }

  private deploymentPath(name?: string, sub?: string): string {
    return `/apis/apps/v1/namespaces/${this.namespace}/deployments${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
  }

  /** Sends, and sorts the answer: `ok` (2xx) to `onOk`, 404/409 to their reason, anything else unknown. */
  private async call<O>(client: FailoverClient, method: string, path: string, body: ApiBody | undefined, onOk: (a: ApiAnswer) => O): Promise<Outcome<O | { status: 'NotFound' | 'AlreadyExists' | 'Conflict' }>> {
    let answer: ApiAnswer;
    try {
      answer = await client.request(method, path, body);
    } catch (err) {
      if (err instanceof NotSentError) return { notSent: err.message };
      if (err instanceof OutcomeUnknownError) return { unknown: err.message };
      throw err;
    }
    if (answer.status >= 200 && answer.status < 300) return { output: onOk(answer) };
    const reason = typeof answer.body.reason === 'string' ? answer.body.reason : '';
    if (answer.status === 404 && reason === 'NotFound') return { output: { status: 'NotFound' } };
    if (answer.status === 409 && (reason === 'AlreadyExists' || reason === 'Conflict')) return { output: { status: reason } };
    const odd = `${answer.status} ${reason}`;
    this.oddAnswers.set(odd, (this.oddAnswers.get(odd) ?? 0) + 1);
    return { unknown: `${method} ${path} via ${answer.url}: ${odd} ${String(answer.body.message ?? '')}`.trim() };
  }

  createConfigMap(client: FailoverClient, name: string, value: string): Promise<Outcome<KubeObjectOutput>> {
    return this.call(client, 'POST', this.configMapPath(), { json: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: value } } }, (a) => ({ status: 'ok', rv: rvOf(a) }));
  }

  getConfigMap(client: FailoverClient, name: string): Promise<Outcome<KubeObjectOutput>> {
    return this.call(client, 'GET', this.configMapPath(name), undefined, (a) => ({ status: 'ok', value: String((a.body.data as Record<string, unknown> | undefined)?.v), rv: rvOf(a) }));
  }

  updateConfigMap(client: FailoverClient, name: string, value: string, rv: string): Promise<Outcome<KubeObjectOutput>> {
    const json = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, resourceVersion: rv }, data: { v: value } };
    return this.call(client, 'PUT', this.configMapPath(name), { json }, (a) => ({ status: 'ok', rv: rvOf(a) }));
  }

  deleteConfigMap(client: FailoverClient, name: string): Promise<Outcome<KubeObjectOutput>> {
    return this.call(client, 'DELETE', this.configMapPath(name), undefined, () => ({ status: 'ok' }));
  }

  createDeployment(client: FailoverClient, name: string, replicas: number, rollout: string, container?: Record<string, unknown>): Promise<Outcome<DeploymentSpecOutput>> {
    return this.call(client, 'POST', this.deploymentPath(), { json: workloadDeployment(name, replicas, rollout, container) }, () => ({ status: 'ok' }));
  }

  scale(client: FailoverClient, name: string, replicas: number): Promise<Outcome<DeploymentSpecOutput>> {
    return this.call(client, 'PATCH', this.deploymentPath(name, 'scale'), { json: { spec: { replicas } }, contentType: 'application/merge-patch+json' }, (a) => ({ status: 'ok', replicas: replicasOf(a) }));
  }

  getScale(client: FailoverClient, name: string): Promise<Outcome<DeploymentSpecOutput>> {
    return this.call(client, 'GET', this.deploymentPath(name, 'scale'), undefined, (a) => ({ status: 'ok', replicas: replicasOf(a) }));
  }

  rollout(client: FailoverClient, name: string, rollout: string): Promise<Outcome<DeploymentSpecOutput>> {
    const patch = { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: ROLLOUT_ENV, value: rollout }] }] } } } };
    return this.call(client, 'PATCH', this.deploymentPath(name), { json: patch, contentType: 'application/strategic-merge-patch+json' }, (a) => ({ status: 'ok', replicas: replicasOf(a), rollout: rolloutOf(a) }));
  }

  getDeployment(client: FailoverClient, name: string): Promise<Outcome<DeploymentSpecOutput>> {
    return this.call(client, 'GET', this.deploymentPath(name), undefined, (a) => ({ status: 'ok', replicas: replicasOf(a), rollout: rolloutOf(a) }));
  }
}

function rvOf(a: ApiAnswer): string {
  return String((a.body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion);
}

function replicasOf(a: ApiAnswer): number {
  return Number((a.body.spec as { replicas?: number } | undefined)?.replicas);
}

function rolloutOf(a: ApiAnswer): string {
  const containers = (a.body.spec as { template?: { spec?: { containers?: { name: string; env?: { name: string; value?: string }[] }[] } } } | undefined)?.template?.spec?.containers;
  return String(containers?.find((c) => c.name === 'main')?.env?.find((e) => e.name === ROLLOUT_ENV)?.value);
}
