/**
 * restricted `restrictedVolumes`: only configMap, csi, downwardAPI, emptyDir, ephemeral,
 * persistentVolumeClaim, projected and secret volumes (it replaces baseline's hostPathVolumes).
 */
import { isRecord } from '../../../api/object.ts';
import { joinQuote, pluralize, sortedSet } from './helpers.ts';
import type { PodCheck } from './types.ts';

const ALLOWED = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
/** The restricted sources, in the order Kubernetes tests for them. */
const RESTRICTED = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos'];

export const restrictedVolumes: PodCheck = {
  id: 'restrictedVolumes',
  level: 'restricted',
  since: 0,
  overrides: ['hostPathVolumes'],
  check({ spec }) {
    const bad: string[] = [];
    const types: string[] = [];
    for (const volume of Array.isArray(spec.volumes) ? spec.volumes.filter(isRecord) : []) {
      if (ALLOWED.some((source) => volume[source] != null)) continue;
      bad.push(String(volume.name ?? ''));
      types.push(RESTRICTED.find((source) => volume[source] != null) ?? 'unknown');
    }
    if (!bad.length) return undefined;
    const list = sortedSet(types);
    return {
      reason: 'restricted volume types',
      detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', list.length)} ${joinQuote(list)}`,
    };
  },
};
