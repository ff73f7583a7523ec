/**
 * The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount), on pod creates:
 * - `spec.serviceAccountName` defaults to `default`, and the account must exist: otherwise 403
 *   `pods "x" is forbidden: error looking up service account ns/x: serviceaccount "x" not found`
 *   (the `default` account is looked up a few more times: its controller may be creating it);
 * - unless `automountServiceAccountToken: false` (the pod's word first, then the account's),
 *   every container and init container mounts, read-only at
 *   /var/run/secrets/kubernetes.io/serviceaccount, the projected volume `kube-api-access-<5>`:
 *   a bound token (`token`, 3607 s), the cluster CA (`ca.crt` from the ConfigMap
 *   `kube-root-ca.crt`) and the pod's `namespace`; a container that already mounts something
 *   there is left alone. The node projects it (node-daemon/volumes).
 * - a pod without imagePullSecrets gets the account's.
 */
import { findResource } from '../../api/kinds.ts';
import { generatedName, objectKey } from '../../api/metadata.ts';
import { childRecord, isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { Informer } from '../../store/informer.ts';
import type { Store } from '../../store/types.ts';
import { decodeObject } from '../codec.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

export const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** Kubernetes' WarnOnlyBoundTokenExpirationSeconds: one hour and seven seconds. */
export const TOKEN_VOLUME_EXPIRATION_SECONDS = 3607;
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** The projected volume source Kubernetes' TokenVolumeSource() builds. */
export function tokenVolumeSource(): JsonObject {
  return {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: TOKEN_VOLUME_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

export interface ServiceAccountAdmissionOptions {
  store: Store;
  /** Every ServiceAccount (the registry's informer); a miss is looked up in the store. */
  accounts: Informer<KubeObject>;
  /** Random source of the volume name's suffix. */
  random?: () => number;
  /** Pause between lookups of a missing `default` account (tests shorten it). */
  sleep?: (ms: number) => Promise<void>;
}

/** Lookups of a missing `default` account before giving up (Kubernetes: 10, 100–200 ms apart). */
const DEFAULT_ACCOUNT_ATTEMPTS = 10;

export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = 'ServiceAccount';

  constructor(private readonly opts: ServiceAccountAdmissionOptions) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation !== 'CREATE' || attrs.info.group !== '' || attrs.info.resource !== 'pods') return;
    const pod = attrs.obj;
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    const spec = childRecord(pod, 'spec');
    if (typeof spec.serviceAccountName !== 'string' || spec.serviceAccountName === '') spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
    const accountName = spec.serviceAccountName as string;
    // The deprecated alias always reads the same.
    spec.serviceAccount = accountName;
    const namespace = attrs.namespace ?? '';
    const account = await this.lookup(namespace, accountName);
    if (!account) {
      throw ApiError.forbidden(attrs.info, attrs.name, `error looking up service account ${namespace}/${accountName}: serviceaccount ${JSON.stringify(accountName)} not found`);
    }
    if (shouldAutomount(account, spec)) this.mountToken(spec);
    if (recordList(spec, 'imagePullSecrets').length === 0 && Array.isArray(account.imagePullSecrets) && account.imagePullSecrets.length > 0) {
      spec.imagePullSecrets = account.imagePullSecrets.filter(isRecord).map((s) => ({ name: s.name }));
    }
  }

  /** The account from the informer, else from the store (a few times for `default`). */
  private async lookup(namespace: string, name: string): Promise<KubeObject | undefined> {
    const key = objectKey(SERVICE_ACCOUNTS, namespace, name);
    const cached = this.opts.accounts.get(key);
    if (cached) return cached;
    const attempts = name === DEFAULT_SERVICE_ACCOUNT ? DEFAULT_ACCOUNT_ATTEMPTS : 1;
    const pause = 100 + Math.floor(Math.random() * 100);
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await (this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(pause);
      const kv = await this.opts.store.get(key);
      if (kv) return decodeObject(kv);
    }
    return undefined;
  }

  private mountToken(spec: JsonObject): void {
    const volumes = recordList(spec, 'volumes');
    const existing = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(TOKEN_VOLUME_PREFIX));
    const volumeName = typeof existing?.name === 'string' ? existing.name : generatedName(TOKEN_VOLUME_PREFIX, this.opts.random);
    let needed = false;
    for (const c of [...recordList(spec, 'initContainers'), ...recordList(spec, 'containers')]) {
      const mounts = recordList(c, 'volumeMounts');
      if (mounts.some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...mounts, { name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
      needed = true;
    }
    if (needed && !existing) spec.volumes = [...volumes, { name: volumeName, projected: tokenVolumeSource() }];
  }
}

/** The pod's `automountServiceAccountToken`, else the account's, else true. */
function shouldAutomount(account: KubeObject, spec: JsonObject): boolean {
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  if (typeof account.automountServiceAccountToken === 'boolean') return account.automountServiceAccountToken;
  return true;
}
