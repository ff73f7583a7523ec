/**
 * The pod spec's volume and configuration rules Kubernetes checks (pkg/apis/core/validation):
 * one source per volume, `items` (key, a relative path without `..`, mode), modes in 0–0777,
 * hostPath types, a claim name; per container: unique mountPaths, `subPath`/`subPathExpr`
 * (relative, no `..`, not both), `env[].valueFrom` (exactly one source, not with `value`, keys
 * and env field paths) and `envFrom` (one of configMapRef or secretRef). Messages as Kubernetes'.
 */
import { child, forbidden, index, invalid, notSupported, required, type FieldError } from '../field.ts';
import { isRecord, optionalRecord, recordList, type JsonObject } from '../object.ts';
import { isConfigMapKey } from './names.ts';

const VOLUME_SOURCES = [
  // Kubernetes' order: the first one set counts, each later one is the Forbidden one.
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];

function validateMode(mode: unknown, path: string, errs: FieldError[]): void {
  if (typeof mode === 'number' && (mode < 0 || mode > 0o777)) errs.push(invalid(path, mode, FILE_MODE_MSG));
}

/** `validateLocalDescendingPath`: relative, no `..` element. */
function validateDescendingPath(p: string, path: string, errs: FieldError[]): void {
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
}

/** `ValidateLocalNonReservedPath`: also not starting with `..` (the AtomicWriter's own names). */
function validateNonReservedPath(p: string, path: string, errs: FieldError[]): void {
  validateDescendingPath(p, path, errs);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(path, p, "must not start with '..'"));
}

function validateItems(items: unknown, path: string, errs: FieldError[]): void {
  recordList({ items }, 'items').forEach((kp, i) => {
    const at = index(path, i);
    if (typeof kp.key !== 'string' || kp.key === '') errs.push(required(child(at, 'key')));
    if (typeof kp.path !== 'string' || kp.path === '') errs.push(required(child(at, 'path')));
    else validateNonReservedPath(kp.path, child(at, 'path'), errs);
    validateMode(kp.mode, child(at, 'mode'), errs);
  });
}

function validateFieldRef(ref: JsonObject, allowed: readonly string[], path: string, errs: FieldError[]): void {
  const fieldPath = typeof ref.fieldPath === 'string' ? ref.fieldPath : '';
  if (fieldPath === '') {
    errs.push(required(child(path, 'fieldPath')));
    return;
  }
  const subscripted = /^(metadata\.(?:labels|annotations))\['.+'\]$/.exec(fieldPath);
  if (subscripted) return;
  if (!allowed.includes(fieldPath)) errs.push(notSupported(child(path, 'fieldPath'), fieldPath, [...allowed, 'metadata.annotations', 'metadata.labels'].filter((v, i, a) => a.indexOf(v) === i).sort()));
}

function validateDownwardItems(items: unknown, path: string, errs: FieldError[]): void {
  recordList({ items }, 'items').forEach((f, i) => {
    const at = index(path, i);
    if (typeof f.path !== 'string' || f.path === '') errs.push(required(child(at, 'path')));
    else validateNonReservedPath(f.path, child(at, 'path'), errs);
    validateMode(f.mode, child(at, 'mode'), errs);
    const fieldRef = optionalRecord(f, 'fieldRef');
    const resourceRef = optionalRecord(f, 'resourceFieldRef');
    if (fieldRef && resourceRef) errs.push(invalid(at, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    else if (fieldRef) validateFieldRef(fieldRef, VOLUME_FIELD_PATHS, child(at, 'fieldRef'), errs);
    else if (resourceRef && (typeof resourceRef.containerName !== 'string' || resourceRef.containerName === '')) {
      errs.push(required(child(child(at, 'resourceFieldRef'), 'containerName')));
    } else if (!resourceRef) errs.push(required(at, 'one of fieldRef and resourceFieldRef is required'));
  });
}

/** One volume's source: exactly one, and its own rules. */
function validateVolumeSource(v: JsonObject, path: string, errs: FieldError[]): void {
  const sources = VOLUME_SOURCES.filter((s) => isRecord(v[s]));
  if (sources.length === 0) errs.push(required(path, 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(forbidden(child(path, extra), 'may not specify more than 1 volume type'));
  const configMap = optionalRecord(v, 'configMap');
  const secret = optionalRecord(v, 'secret');
  const downward = optionalRecord(v, 'downwardAPI');
  const projected = optionalRecord(v, 'projected');
  const hostPath = optionalRecord(v, 'hostPath');
  const claim = optionalRecord(v, 'persistentVolumeClaim');
  for (const [name, s] of [['configMap', configMap], ['secret', secret]] as const) {
    if (!s) continue;
    validateMode(s.defaultMode, child(child(path, name), 'defaultMode'), errs);
    validateItems(s.items, child(child(path, name), 'items'), errs);
  }
  if (downward) {
    validateMode(downward.defaultMode, child(child(path, 'downwardAPI'), 'defaultMode'), errs);
    validateDownwardItems(downward.items, child(child(path, 'downwardAPI'), 'items'), errs);
  }
  if (projected) {
    const at = child(path, 'projected');
    validateMode(projected.defaultMode, child(at, 'defaultMode'), errs);
    recordList(projected, 'sources').forEach((s, i) => {
      const sourcePath = index(child(at, 'sources'), i);
      const kinds = ['secret', 'downwardAPI', 'configMap', 'serviceAccountToken', 'clusterTrustBundle'].filter((k) => isRecord(s[k]));
      for (const extra of kinds.slice(1)) errs.push(forbidden(child(sourcePath, extra), 'may not specify more than 1 volume type per source'));
      const cm = optionalRecord(s, 'configMap');
      const sec = optionalRecord(s, 'secret');
      const dw = optionalRecord(s, 'downwardAPI');
      const token = optionalRecord(s, 'serviceAccountToken');
      if (cm) validateItems(cm.items, child(child(sourcePath, 'configMap'), 'items'), errs);
      if (sec) validateItems(sec.items, child(child(sourcePath, 'secret'), 'items'), errs);
      if (dw) validateDownwardItems(dw.items, child(child(sourcePath, 'downwardAPI'), 'items'), errs);
      if (token) {
        const tokenPath = child(sourcePath, 'serviceAccountToken');
        if (typeof token.expirationSeconds === 'number' && token.expirationSeconds < 600) errs.push(invalid(child(tokenPath, 'expirationSeconds'), token.expirationSeconds, 'may not specify a duration less than 10 minutes'));
        if (typeof token.path !== 'string' || token.path === '') errs.push(required(child(tokenPath, 'path')));
        else validateNonReservedPath(token.path, child(tokenPath, 'path'), errs);
      }
    });
  }
  if (hostPath) {
    if (typeof hostPath.path !== 'string' || hostPath.path === '') errs.push(required(child(child(path, 'hostPath'), 'path')));
    else if (hostPath.path.split('/').includes('..')) errs.push(invalid(child(child(path, 'hostPath'), 'path'), hostPath.path, "must not contain '..'"));
    if (typeof hostPath.type === 'string' && !HOST_PATH_TYPES.includes(hostPath.type)) errs.push(notSupported(child(child(path, 'hostPath'), 'type'), hostPath.type, HOST_PATH_TYPES));
  }
  if (claim && (typeof claim.claimName !== 'string' || claim.claimName === '')) errs.push(required(child(child(path, 'persistentVolumeClaim'), 'claimName')));
}

/** Every volume's source (names are checked with the pod's other names). */
export function validatePodVolumeSources(volumes: unknown, path: string, errs: FieldError[]): void {
  recordList({ volumes }, 'volumes').forEach((v, i) => validateVolumeSource(v, index(path, i), errs));
}

function validateKeySelector(ref: JsonObject, path: string, errs: FieldError[]): void {
  if (typeof ref.key !== 'string' || ref.key === '') errs.push(required(child(path, 'key')));
  else for (const msg of isConfigMapKey(ref.key)) errs.push(invalid(child(path, 'key'), ref.key, msg));
}

/** A container's mounts (unique mountPaths, subPath rules), `env[].valueFrom` and `envFrom`. */
export function validateContainerConfig(c: JsonObject, path: string, errs: FieldError[]): void {
  const mountPaths = new Set<string>();
  recordList(c, 'volumeMounts').forEach((m, i) => {
    const at = index(child(path, 'volumeMounts'), i);
    if (typeof m.mountPath === 'string' && m.mountPath !== '') {
      if (mountPaths.has(m.mountPath)) errs.push(invalid(child(at, 'mountPath'), m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
    }
    const subPath = typeof m.subPath === 'string' ? m.subPath : '';
    const subPathExpr = typeof m.subPathExpr === 'string' ? m.subPathExpr : '';
    if (subPath !== '') validateDescendingPath(subPath, child(at, 'subPath'), errs);
    if (subPathExpr !== '') {
      if (subPath !== '') errs.push(invalid(child(at, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      validateDescendingPath(subPathExpr, child(at, 'subPathExpr'), errs);
    }
  });
  recordList(c, 'env').forEach((e, i) => {
    const at = index(child(path, 'env'), i);
    if (typeof e.name !== 'string' || e.name === '') errs.push(required(child(at, 'name')));
    const valueFrom = optionalRecord(e, 'valueFrom');
    if (!valueFrom) return;
    const fromPath = child(at, 'valueFrom');
    const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => isRecord(valueFrom[k]));
    if (sources.length === 0) errs.push(invalid(fromPath, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (typeof e.value === 'string' && e.value !== '') errs.push(invalid(fromPath, '', 'may not be specified when `value` is not empty'));
    else if (sources.length > 1) errs.push(invalid(fromPath, '', 'may not have more than one field specified at a time'));
    const fieldRef = optionalRecord(valueFrom, 'fieldRef');
    if (fieldRef) validateFieldRef(fieldRef, ENV_FIELD_PATHS, child(fromPath, 'fieldRef'), errs);
    const resourceRef = optionalRecord(valueFrom, 'resourceFieldRef');
    if (resourceRef && (typeof resourceRef.resource !== 'string' || resourceRef.resource === '')) errs.push(required(child(child(fromPath, 'resourceFieldRef'), 'resource')));
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = optionalRecord(valueFrom, k);
      if (ref) validateKeySelector(ref, child(fromPath, k), errs);
    }
  });
  recordList(c, 'envFrom').forEach((f) => {
    const refs = ['configMapRef', 'secretRef'].filter((k) => isRecord(f[k]));
    if (refs.length === 0) errs.push(invalid(child(path, 'envFrom'), '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (refs.length > 1) errs.push(invalid(child(path, 'envFrom'), '', 'may not have more than one field specified at a time'));
  });
}
