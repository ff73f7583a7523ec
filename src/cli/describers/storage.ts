/**
 * `describe persistentvolumeclaim | persistentvolume | storageclass`: kubectl's
 * describePersistentVolumeClaim, describePersistentVolume and describeStorageClass, field for
 * field and in their order (each writes its own header: the order differs from the generic one).
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { LAST_APPLIED_ANNOTATION } from '../apply-patch.ts';
import type { KubeObject } from '../output.ts';
import { age } from '../table.ts';
import type { DescribeWriter } from './writer.ts';

const BETA_CLASS = 'volume.beta.kubernetes.io/storage-class';
const MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

/** GetAccessModesAsString: each mode once, in Kubernetes' order. */
const accessModes = (modes: readonly string[] | undefined): string =>
  Object.keys(MODES)
    .filter((m) => (modes ?? []).includes(m))
    .map((m) => MODES[m])
    .join(',');

/** Go's `%v` of a string slice. */
const goSlice = (list: readonly string[] | undefined): string => `[${(list ?? []).join(' ')}]`;

function annotations(obj: KubeObject): Record<string, string> {
  const out = { ...obj.metadata?.annotations };
  delete out[LAST_APPLIED_ANNOTATION];
  return out;
}

function status(w: DescribeWriter, deletionTimestamp: string | undefined, phase: string | undefined, now: Date): void {
  w.field(0, 'Status', deletionTimestamp ? `Terminating (lasts ${age(deletionTimestamp, now)})` : (phase ?? ''));
}

/** The pods of the claim's namespace whose volumes name it (kubectl's getPodsForPVC). */
export function podsUsingClaim(claim: KubeObject, pods: readonly KubeObject[]): string[] {
  return pods
    .filter((p) => p.metadata?.namespace === claim.metadata?.namespace)
    .filter((p) => {
      const volumes = (p.spec as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } | undefined)?.volumes ?? [];
      return volumes.some((v) => v.persistentVolumeClaim?.claimName === claim.metadata?.name);
    })
    .map((p) => p.metadata?.name ?? '');
}

export function describePersistentVolumeClaim(w: DescribeWriter, pvc: PersistentVolumeClaim, pods: readonly KubeObject[], now: Date): void {
  w.field(0, 'Name', pvc.metadata?.name ?? '');
  w.field(0, 'Namespace', pvc.metadata?.namespace ?? '');
  w.field(0, 'StorageClass', pvc.metadata?.annotations?.[BETA_CLASS] ?? pvc.spec?.storageClassName ?? '');
  status(w, pvc.metadata?.deletionTimestamp, pvc.status?.phase, now);
  w.field(0, 'Volume', pvc.spec?.volumeName ?? '');
  w.map(0, 'Labels', pvc.metadata?.labels);
  w.map(0, 'Annotations', annotations(pvc as KubeObject), ': ');
  w.field(0, 'Finalizers', goSlice(pvc.metadata?.finalizers));
  const named = Boolean(pvc.spec?.volumeName);
  w.field(0, 'Capacity', named ? String(pvc.status?.capacity?.storage ?? '') : '');
  w.field(0, 'Access Modes', named ? accessModes(pvc.status?.accessModes) : '');
  if (pvc.spec?.volumeMode) w.field(0, 'VolumeMode', pvc.spec.volumeMode);
  const source = pvc.spec?.dataSource;
  if (source) {
    w.field(0, 'DataSource', '');
    if (source.apiGroup) w.field(1, 'APIGroup', source.apiGroup);
    w.field(1, 'Kind', source.kind);
    w.field(1, 'Name', source.name);
  }
  const users = podsUsingClaim(pvc as KubeObject, pods);
  w.field(0, 'Used By', users.length ? users.join('\n') : '<none>');
  const conditions = pvc.status?.conditions ?? [];
  if (conditions.length > 0) {
    w.text(0, 'Conditions:');
    w.text(1, 'Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage');
    for (const c of conditions) w.text(1, [c.type, c.status, c.lastProbeTime ?? '', c.lastTransitionTime ?? '', c.reason ?? '', c.message ?? ''].join('\t'));
  }
}

export function describePersistentVolume(w: DescribeWriter, pv: PersistentVolume, now: Date): void {
  const spec = pv.spec ?? {};
  w.field(0, 'Name', pv.metadata?.name ?? '');
  w.map(0, 'Labels', pv.metadata?.labels);
  w.map(0, 'Annotations', annotations(pv as KubeObject), ': ');
  w.field(0, 'Finalizers', goSlice(pv.metadata?.finalizers));
  w.field(0, 'StorageClass', pv.metadata?.annotations?.[BETA_CLASS] ?? spec.storageClassName ?? '');
  status(w, pv.metadata?.deletionTimestamp, pv.status?.phase, now);
  w.field(0, 'Claim', spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '');
  w.field(0, 'Reclaim Policy', spec.persistentVolumeReclaimPolicy ?? '');
  w.field(0, 'Access Modes', accessModes(spec.accessModes));
  if (spec.volumeMode) w.field(0, 'VolumeMode', spec.volumeMode);
  w.field(0, 'Capacity', String(spec.capacity?.storage ?? ''));
  const required = spec.nodeAffinity?.required;
  if (!required) {
    w.field(0, 'Node Affinity', '<none>');
  } else {
    w.field(0, 'Node Affinity', '');
    const terms = required.nodeSelectorTerms ?? [];
    w.field(1, 'Required Terms', terms.length === 0 ? '<none>' : '');
    terms.forEach((term, i) => {
      const exprs = (term.matchExpressions ?? []).map((r) => `${r.key} ${r.operator.toLowerCase()}${r.values?.length ? ` [${r.values.join(', ')}]` : ''}`);
      w.field(2, `Term ${i}`, exprs.length ? exprs.join('\n') : '<none>');
    });
  }
  w.field(0, 'Message', pv.status?.message ?? '');
  w.text(0, 'Source:');
  if (spec.local) {
    w.field(2, 'Type', 'LocalVolume (a persistent volume backed by local storage on a node)');
    w.field(2, 'Path', spec.local.path);
  } else if (spec.hostPath) {
    w.field(2, 'Type', 'HostPath (bare host directory volume)');
    w.field(2, 'Path', spec.hostPath.path);
    w.field(2, 'HostPathType', spec.hostPath.type ?? '<none>');
  } else {
    const kind = Object.keys(spec).find((k) => !['accessModes', 'capacity', 'claimRef', 'mountOptions', 'nodeAffinity', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeMode', 'volumeAttributesClassName'].includes(k));
    w.field(2, 'Type', kind ?? '<unknown>');
  }
}

export function describeStorageClass(w: DescribeWriter, sc: StorageClass): void {
  const isDefault = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'].some((a) => sc.metadata?.annotations?.[a] === 'true');
  const formatLabels = (m: Record<string, string> | undefined): string => {
    const pairs = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
    return pairs.length ? pairs.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
  };
  w.field(0, 'Name', sc.metadata?.name ?? '');
  w.field(0, 'IsDefaultClass', isDefault ? 'Yes' : 'No');
  w.field(0, 'Annotations', formatLabels(annotations(sc as unknown as KubeObject)));
  w.field(0, 'Provisioner', sc.provisioner);
  w.field(0, 'Parameters', formatLabels(sc.parameters));
  w.field(0, 'AllowVolumeExpansion', sc.allowVolumeExpansion === undefined ? '<unset>' : sc.allowVolumeExpansion ? 'True' : 'False');
  if (!sc.mountOptions?.length) w.field(0, 'MountOptions', '<none>');
  else {
    w.text(0, 'MountOptions:');
    for (const option of sc.mountOptions) w.text(1, option);
  }
  if (sc.reclaimPolicy) w.field(0, 'ReclaimPolicy', sc.reclaimPolicy);
  if (sc.volumeBindingMode) w.field(0, 'VolumeBindingMode', sc.volumeBindingMode);
}
