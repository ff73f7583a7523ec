/** baseline `hostPathVolumes`: no hostPath volumes (restricted replaces it with restrictedVolumes). */
import { isRecord } from '../../../api/object.ts';
import { joinQuote, pluralize } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const hostPathVolumes: PodCheck = {
  id: 'hostPathVolumes',
  level: 'baseline',
  since: 0,
  check({ spec }) {
    const volumes = (Array.isArray(spec.volumes) ? spec.volumes.filter(isRecord) : []).filter((v) => v.hostPath != null).map((v) => String(v.name ?? ''));
    return volumes.length ? { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', volumes.length)} ${joinQuote(volumes)}` } : undefined;
  },
};
