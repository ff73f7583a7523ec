/**
 * ObjectMeta rules (`ValidateObjectMeta`): name or generateName, namespace presence, labels,
 * annotations and finalizers, with Kubernetes' messages.
 */
import { child, forbidden, invalid, required, tooLong, type FieldError } from '../field.ts';
import type { ResourceInfo } from '../kinds.ts';
import { isRecord, type JsonObject } from '../object.ts';
import {
  isDNS1123Label,
  isQualifiedName,
  isValidLabelValue,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  type NameValidator,
} from './names.ts';
import { nameIsPathSegment } from '../rbac/validation.ts';

/** Annotations may total at most 256 KiB (keys plus values). */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Namespaces are DNS labels, Services DNS-1035 labels, everything else DNS subdomains. */
export function nameValidatorFor(info: ResourceInfo): NameValidator {
  if (info.group === '' && info.kind === 'Namespace') return nameIsDNSLabel;
  if (info.group === '' && info.kind === 'Service') return nameIsDNS1035Label;
  // RBAC names are path segments: `system:node-proxier`.
  if (info.group === 'rbac.authorization.k8s.io') return nameIsPathSegment;
  return nameIsDNSSubdomain;
}

export function validateObjectMeta(info: ResourceInfo, meta: JsonObject | undefined, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const m = meta ?? {};
  const nameFn = nameValidatorFor(info);
  const generateName = m.generateName;
  if (typeof generateName === 'string' && generateName !== '') {
    for (const msg of nameFn(generateName, true)) errs.push(invalid(child(path, 'generateName'), generateName, msg));
  }
  const name = m.name;
  if (typeof name !== 'string' || name === '') {
    errs.push(required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const msg of nameFn(name, false)) errs.push(invalid(child(path, 'name'), name, msg));
  }
  const namespace = m.namespace;
  if (info.namespaced) {
    if (typeof namespace !== 'string' || namespace === '') errs.push(required(child(path, 'namespace')));
    else for (const msg of isDNS1123Label(namespace)) errs.push(invalid(child(path, 'namespace'), namespace, msg));
  } else if (typeof namespace === 'string' && namespace !== '') {
    errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  if (typeof m.generation === 'number' && m.generation < 0) {
    errs.push(invalid(child(path, 'generation'), m.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  if (Array.isArray(m.finalizers)) {
    for (const f of m.finalizers) {
      if (typeof f === 'string') for (const msg of isQualifiedName(f)) errs.push(invalid(child(path, 'finalizers'), f, msg));
    }
  }
  return errs;
}

/** Label keys and values; Kubernetes reports both against the map's path. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (!isRecord(labels)) return [];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    if (typeof v === 'string') for (const msg of isValidLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (!isRecord(annotations)) return [];
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    total += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}
