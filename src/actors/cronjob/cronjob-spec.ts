/**
 * What the CronJob controller reads off a CronJob: its spec with Kubernetes' defaults.
 */
import { isRecord, type KubeObject } from '../../api/object.ts';

export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

export interface CronJobSpec {
  schedule: string;
  /** undefined: UTC (Kubernetes: the controller manager's zone). */
  timeZone?: string;
  concurrencyPolicy: ConcurrencyPolicy;
  startingDeadlineSeconds?: number;
  suspend: boolean;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
}

export function cronJobSpec(cj: KubeObject): CronJobSpec {
  const spec = isRecord(cj.spec) ? cj.spec : {};
  const policy = spec.concurrencyPolicy;
  const out: CronJobSpec = {
    schedule: typeof spec.schedule === 'string' ? spec.schedule : '',
    concurrencyPolicy: policy === 'Forbid' || policy === 'Replace' ? policy : 'Allow',
    suspend: spec.suspend === true,
    successfulJobsHistoryLimit: typeof spec.successfulJobsHistoryLimit === 'number' ? spec.successfulJobsHistoryLimit : 3,
    failedJobsHistoryLimit: typeof spec.failedJobsHistoryLimit === 'number' ? spec.failedJobsHistoryLimit : 1,
  };
  if (typeof spec.timeZone === 'string' && spec.timeZone !== '') out.timeZone = spec.timeZone;
  if (typeof spec.startingDeadlineSeconds === 'number') out.startingDeadlineSeconds = spec.startingDeadlineSeconds;
  return out;
}
