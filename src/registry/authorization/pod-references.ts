/**
 * What a pod references by name, as Kubernetes' podutil.VisitPodSecretNames / VisitPodConfigmapNames
 * and the node graph's populator read a pod: the Secrets, ConfigMaps, PersistentVolumeClaims and
 * ServiceAccount a node needs to run it. Pure.
 *
 * - Secrets: `imagePullSecrets`; every container's (init, ephemeral too) `envFrom[].secretRef` and
 *   `env[].valueFrom.secretKeyRef`; volumes `secret`, `projected` secret sources, and the secret
 *   references of volume plugins (`csi.nodePublishSecretRef`, `cephfs`/`rbd`/`iscsi`/`flexVolume`/
 *   `scaleIO`/`storageos`/`cinder` `secretRef`, `azureFile.secretName`).
 * - ConfigMaps: `envFrom[].configMapRef`, `env[].valueFrom.configMapKeyRef`, volumes `configMap` and
 *   `projected` configMap sources.
 * - PersistentVolumeClaims: `persistentVolumeClaim.claimName`, and `<pod>-<volume>` for a generic
 *   `ephemeral` volume (the claim Kubernetes makes for it).
 * - The ServiceAccount: `spec.serviceAccountName` (else the deprecated `serviceAccount`).
 */
import { isRecord, type JsonObject, type KubeObject } from '../../api/object.ts';

export interface PodReferences {
  secrets: string[];
  configmaps: string[];
  persistentvolumeclaims: string[];
  serviceAccount: string | undefined;
}

const records = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const rec = (v: unknown): JsonObject => (isRecord(v) ? v : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Volume plugins whose `secretRef.name` a node reads to mount them. */
const SECRET_REF_PLUGINS = ['cephfs', 'rbd', 'iscsi', 'flexVolume', 'scaleIO', 'storageos', 'cinder'] as const;

/** The objects `pod` references by name (each listed once, in its namespace). */
export function podReferences(pod: KubeObject): PodReferences {
  const spec = rec(pod.spec);
  const secrets = new Set<string>();
  const configmaps = new Set<string>();
  const claims = new Set<string>();
  const add = (set: Set<string>, name: unknown): void => {
    const n = str(name);
    if (n) set.add(n);
  };

  for (const s of records(spec.imagePullSecrets)) add(secrets, s.name);
  for (const c of [...records(spec.initContainers), ...records(spec.containers), ...records(spec.ephemeralContainers)]) {
    for (const from of records(c.envFrom)) {
      add(secrets, rec(from.secretRef).name);
      add(configmaps, rec(from.configMapRef).name);
    }
    for (const e of records(c.env)) {
      const valueFrom = rec(e.valueFrom);
      add(secrets, rec(valueFrom.secretKeyRef).name);
      add(configmaps, rec(valueFrom.configMapKeyRef).name);
    }
  }
  for (const v of records(spec.volumes)) {
    add(secrets, rec(v.secret).secretName);
    add(configmaps, rec(v.configMap).name);
    for (const source of records(rec(v.projected).sources)) {
      add(secrets, rec(source.secret).name);
      add(configmaps, rec(source.configMap).name);
    }
    add(secrets, rec(rec(v.csi).nodePublishSecretRef).name);
    for (const plugin of SECRET_REF_PLUGINS) add(secrets, rec(rec(v[plugin]).secretRef).name);
    add(secrets, rec(v.azureFile).secretName);
    add(claims, rec(v.persistentVolumeClaim).claimName);
    if (isRecord(v.ephemeral) && str(v.name) && str(pod.metadata?.name)) claims.add(`${pod.metadata!.name!}-${v.name as string}`);
  }
  return {
    secrets: [...secrets],
    configmaps: [...configmaps],
    persistentvolumeclaims: [...claims],
    serviceAccount: str(spec.serviceAccountName) ?? str(spec.serviceAccount),
  };
}
