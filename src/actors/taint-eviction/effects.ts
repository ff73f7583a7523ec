/**
 * The taint-eviction machine's effects, through the Registry: `evictPod` marks the pod
 * (DisruptionTarget, reason DeletionByTaintManager), deletes it gracefully (uid precondition) and
 * records the Event `TaintManagerEviction` (`Marking for deletion Pod ns/name`); `cancelEviction`
 * records `Cancelling deletion of Pod ns/name`. A pod already gone is no error; a failure is
 * logged (the next observation of the node or pod tries again).
 */
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { isRecord, recordList } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import type { Registry } from '../../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { taintEvictionMachine, type EvictionParams } from './machine.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
export const SOURCE = { component: 'taint-eviction-controller' };

export interface TaintEvictionEffectsDeps {
  registry: Registry;
  events: EventSink;
  now?: () => Date;
  logger?: Logger;
}

export function taintEvictionMachineWith(deps: TaintEvictionEffectsDeps): typeof taintEvictionMachine {
  const log = deps.logger ?? pino({ level: 'silent' });
  const now = deps.now ?? (() => new Date());
  const record = (p: EvictionParams, message: string): Promise<void> =>
    deps.events.record({ kind: 'Pod', apiVersion: 'v1', namespace: p.namespace, name: p.name, uid: p.uid }, 'Normal', 'TaintManagerEviction', message, { source: SOURCE });
  const evict = async (p: EvictionParams): Promise<void> => {
    try {
      await record(p, `Marking for deletion Pod ${p.namespace}/${p.name}`);
      await retryOnConflict(async () => {
        const current = await deps.registry.get(PODS, p.namespace, p.name);
        if (current.metadata?.uid !== p.uid || current.metadata?.deletionTimestamp) return;
        const status = isRecord(current.status) ? current.status : {};
        const conditions = recordList(status, 'conditions').filter((c) => c.type !== 'DisruptionTarget');
        const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastProbeTime: null, lastTransitionTime: toKubernetesTime(now().getTime()) };
        await deps.registry.updateStatus(PODS, p.namespace, p.name, { ...current, status: { ...status, conditions: [...conditions, condition] } });
      });
      await deps.registry.delete(PODS, p.namespace, p.name, { preconditions: { uid: p.uid } });
    } catch (err) {
      if (isNotFound(err) || (err instanceof ApiError && err.reason === 'Conflict')) return;
      log.warn({ err, pod: `${p.namespace}/${p.name}` }, 'taint eviction failed');
    }
  };
  return taintEvictionMachine.provide({
    actions: {
      evictPod: (_, params: EvictionParams) => void evict(params),
      cancelEviction: (_, params: EvictionParams) => void record(params, `Cancelling deletion of Pod ${params.namespace}/${params.name}`).catch((err: unknown) => log.warn({ err }, 'recording TaintManagerEviction failed')),
    },
  });
}
