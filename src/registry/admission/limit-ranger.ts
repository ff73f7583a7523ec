/**
 * The LimitRanger admission plugin: the namespace's LimitRanges default the resources of pods
 * being created (mutating phase) and bound them, and the storage claims ask for (validating
 * phase), with the rules and messages of src/api/quota/limit-range.ts. A refusal is a 403
 * `pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2`.
 */
import { findResource } from '../../api/kinds.ts';
import { qosClass } from '../../api/metadata.ts';
import { isRecord } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { applyLimitRangeDefaults, validateClaimLimits, validatePodLimits } from '../../api/quota/limit-range.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';
import type { NamespaceObjects } from './namespace-objects.ts';

export const LIMIT_RANGES = findResource('', 'v1', 'limitranges')!;

function isPod(attrs: AdmissionAttributes): boolean {
  return attrs.info.group === '' && attrs.info.resource === 'pods';
}

function isClaim(attrs: AdmissionAttributes): boolean {
  return attrs.info.group === '' && attrs.info.resource === 'persistentvolumeclaims';
}

/** Pods on create only (their resources cannot change afterwards); claims on create and update. */
function applies(attrs: AdmissionAttributes): boolean {
  if (attrs.old?.metadata?.deletionTimestamp) return false;
  return (isPod(attrs) && attrs.operation === 'CREATE') || isClaim(attrs);
}

export class LimitRanger implements AdmissionPlugin {
  readonly name = 'LimitRanger';

  constructor(private readonly limitRanges: NamespaceObjects) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (!applies(attrs) || !isPod(attrs)) return;
    const ranges = await this.limitRanges.list(attrs.namespace ?? '');
    if (ranges.length === 0) return;
    for (const lr of ranges) applyLimitRangeDefaults(lr, attrs.obj);
    // Kubernetes derives the QoS class after mutating admission: defaults may have moved the pod out of BestEffort.
    if (isRecord(attrs.obj.status) && attrs.obj.status.qosClass !== undefined) attrs.obj.status.qosClass = qosClass(isRecord(attrs.obj.spec) ? attrs.obj.spec : undefined);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (!applies(attrs)) return;
    for (const lr of await this.limitRanges.list(attrs.namespace ?? '')) {
      const reason = isPod(attrs) ? validatePodLimits(lr, attrs.obj) : validateClaimLimits(lr, attrs.obj, attrs.old);
      if (reason) throw ApiError.forbidden(attrs.info, attrs.name, reason);
    }
  }
}
