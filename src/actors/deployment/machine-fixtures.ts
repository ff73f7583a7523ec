/**
 * Objects and fakes for the Deployment machine's tests (machine.test.ts, machine.model.test.ts):
 * a Deployment, ReplicaSets built for it the way the controller builds them, an observation, and
 * effect actors that record their inputs.
 */
import { fromPromise } from 'xstate';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import type { ApplyPlanInput, DeploymentObserved } from './machine.ts';
import { newReplicaSetFor } from './replica-sets.ts';

export const T0 = Date.parse('2024-06-01T00:00:00Z');
export const DEADLINE_SECONDS = 60;

export interface DeploymentOptions {
  replicas?: number;
  image?: string;
  strategy?: JsonObject;
  paused?: boolean;
  deleting?: boolean;
  /** Omit the progress deadline. */
  noDeadline?: boolean;
  generation?: number;
  revision?: number;
  selector?: JsonObject;
  status?: JsonObject;
}

export function deployment(o: DeploymentOptions = {}): KubeObject {
  const labels = { app: 'web' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'd-uid',
      generation: o.generation ?? 2,
      ...(o.revision ? { annotations: { 'deployment.kubernetes.io/revision': String(o.revision) } } : {}),
      ...(o.deleting ? { deletionTimestamp: toKubernetesTime(T0) } : {}),
    },
    spec: {
      replicas: o.replicas ?? 2,
      selector: o.selector ?? { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: o.image ?? 'busybox:2' }] } },
      strategy: o.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      minReadySeconds: 0,
      revisionHistoryLimit: 1,
      ...(o.noDeadline ? {} : { progressDeadlineSeconds: DEADLINE_SECONDS }),
      ...(o.paused ? { paused: true } : {}),
    },
    status: o.status ?? {},
  };
}

export interface ReplicaSetOptions {
  image: string;
  revision: number;
  /** spec.replicas */
  replicas: number;
  /** status.replicas (default: spec.replicas) */
  pods?: number;
  available?: number;
  /** The desired-replicas annotation (default: the Deployment's replicas). */
  desired?: number;
}

/** A ReplicaSet of `d` for `image`, as the controller creates it, with the counts given. */
export function replicaSet(d: KubeObject, o: ReplicaSetOptions): KubeObject {
  const forImage = deployment({ replicas: (d.spec as { replicas: number }).replicas, image: o.image });
  const rs = newReplicaSetFor({ ...forImage, metadata: d.metadata }, o.replicas, o.revision, 0);
  const desired = o.desired ?? (d.spec as { replicas: number }).replicas;
  const annotations = { ...rs.metadata?.annotations, 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(desired + 1) };
  const pods = o.pods ?? o.replicas;
  const available = o.available ?? pods;
  return {
    ...rs,
    metadata: { ...rs.metadata, uid: `rs-${o.revision}`, generation: 1, annotations, creationTimestamp: toKubernetesTime(T0 - 100_000 + o.revision * 1000) },
    status: { replicas: pods, readyReplicas: available, availableReplicas: available, fullyLabeledReplicas: pods, observedGeneration: 1 },
  };
}

/** A Progressing condition last updated at `at`. */
export function progressing(reason: string, at: number, status: 'True' | 'False' | 'Unknown' = 'True'): JsonObject {
  const t = toKubernetesTime(at);
  return { type: 'Progressing', status, reason, message: '', lastUpdateTime: t, lastTransitionTime: t };
}

/** An observation of `d` and its sets (the round is added by the test). */
export function observed(d: KubeObject, replicaSets: KubeObject[], extra: Partial<Omit<DeploymentObserved, 'type'>> = {}): DeploymentObserved {
  return { type: 'deployment.observed', round: 1, deployment: d, replicaSets, replicaSetsWithPods: [], now: T0, ...extra };
}

export interface FakeEffects {
  /** Every effect input, with the effect's name. */
  applied: { effect: string; input: ApplyPlanInput }[];
  error: Error | undefined;
  actors: Record<'scaleReplicaSets' | 'rollOutReplicaSets' | 'writeStatus', ReturnType<typeof fromPromise<void, ApplyPlanInput>>>;
}

/** Effect actors that record their inputs and fail with `error` when it is set. */
export function fakeEffects(): FakeEffects {
  const fake = (effect: string) =>
    fromPromise<void, ApplyPlanInput>(async ({ input }) => {
      fakes.applied.push({ effect, input });
      if (fakes.error) throw fakes.error;
    });
  const fakes: FakeEffects = {
    applied: [],
    error: undefined,
    actors: { scaleReplicaSets: fake('scaleReplicaSets'), rollOutReplicaSets: fake('rollOutReplicaSets'), writeStatus: fake('writeStatus') },
  };
  return fakes;
}
