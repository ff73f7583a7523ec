/**
 * Objects and fakes for the replica machine's tests (machine.test.ts, machine.model.test.ts): a
 * ReplicaSet, its pods, an observation of them, and effect actors that record their inputs and
 * answer as told.
 */
import { fromPromise } from 'xstate';
import type { KubeObject } from '../../api/object.ts';
import { observedPods } from './status.ts';
import type { CreatePodsInput, CreatePodsOutput, DeletePodsInput, DeletePodsOutput, ReplicasObserved, WriteStatusInput } from './machine.ts';

export const T0 = Date.parse('2024-06-01T00:00:00Z');

export function owner(replicas: number, extra: { deleting?: boolean; minReadySeconds?: number } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', generation: 1, ...(extra.deleting ? { deletionTimestamp: '2024-06-01T00:00:00Z' } : {}) },
    spec: {
      replicas,
      minReadySeconds: extra.minReadySeconds ?? 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    },
  };
}

/** Pod `i` of the set: running and ready since `readySince` (epoch ms) when given, else pending and unscheduled. */
export function pod(i: number, readySince?: number): KubeObject {
  const ready = readySince !== undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${i}`, namespace: 'default', uid: `pod-${i}`, labels: { app: 'web' }, creationTimestamp: new Date(T0 - 1000 * (10 - i)).toISOString() },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...(ready ? { nodeName: 'n1' } : {}) },
    status: ready ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(readySince).toISOString() }] } : { phase: 'Pending' },
  };
}

export function pods(n: number, readySince?: number): KubeObject[] {
  return Array.from({ length: n }, (_, i) => pod(i, readySince));
}

/** An observation without its round (the test adds it, or `Rounds` does). */
export function observed(o: KubeObject, ps: KubeObject[], extra: Partial<Omit<ReplicasObserved, 'type' | 'pods'>> = {}): ReplicasObserved {
  const now = extra.now ?? T0;
  return { type: 'replicas.observed', round: 1, owner: o, pods: observedPods(o, ps, now), expectationsMet: true, now, ...extra };
}

export interface FakeEffects {
  creates: CreatePodsInput[];
  deletes: DeletePodsInput[];
  statuses: WriteStatusInput[];
  createOutput: (input: CreatePodsInput) => CreatePodsOutput;
  deleteOutput: (input: DeletePodsInput) => DeletePodsOutput;
  statusError: Error | undefined;
  /** For `machine.provide({ actors })`. */
  actors: {
    createPods: ReturnType<typeof fromPromise<CreatePodsOutput, CreatePodsInput>>;
    deletePods: ReturnType<typeof fromPromise<DeletePodsOutput, DeletePodsInput>>;
    writeStatus: ReturnType<typeof fromPromise<void, WriteStatusInput>>;
  };
}

/** Effect actors that record their inputs; `createOutput` / `deleteOutput` / `statusError` decide their answers. */
export function fakeEffects(): FakeEffects {
  const fakes: FakeEffects = {
    creates: [],
    deletes: [],
    statuses: [],
    createOutput: (input) => ({ created: input.count }),
    deleteOutput: () => ({ notDeleted: [] }),
    statusError: undefined,
    actors: {
      createPods: fromPromise<CreatePodsOutput, CreatePodsInput>(async ({ input }) => {
        fakes.creates.push(input);
        return fakes.createOutput(input);
      }),
      deletePods: fromPromise<DeletePodsOutput, DeletePodsInput>(async ({ input }) => {
        fakes.deletes.push(input);
        return fakes.deleteOutput(input);
      }),
      writeStatus: fromPromise<void, WriteStatusInput>(async ({ input }) => {
        fakes.statuses.push(input);
        if (fakes.statusError) throw fakes.statusError;
      }),
    },
  };
  return fakes;
}
