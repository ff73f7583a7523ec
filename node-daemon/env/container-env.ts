/**
 * A container's environment as the kubelet builds it (`makeEnvironmentVariables`): `envFrom`
 * first (ConfigMaps and Secrets, with their prefix; later sources override earlier ones), then
 * `env` in order, each value expanding `$(VAR)` against what is defined before it and the
 * service variables, or resolved from its `valueFrom` (configMapKeyRef, secretKeyRef, fieldRef,
 * resourceFieldRef); then the service variables not already set. `optional` references to a
 * missing object or key are skipped; a required one fails with the kubelet's message (the
 * container then waits in CreateContainerConfigError). Pure: objects come from `ClusterObjects`.
 */
import { isRecord, optionalRecord, recordList, type JsonObject } from '../../src/api/object.ts';
import { ContainerConfigError } from '../../src/actors/pod/config-errors.ts';
import { getObject, ObjectNotFoundError, type ClusterObjects } from '../cluster-objects.ts';
import { DownwardApiError, envFieldValue, resourceFieldValue, type NodeAllocatable, type PodRuntimeFields } from './downward-api.ts';
import { expand, mappingFor } from './expansion.ts';

/** A Kubernetes Event the resolution asks to record (skipped envFrom keys). */
export interface EnvWarning {
  reason: 'InvalidEnvironmentVariableNames';
  message: string;
}

export interface ContainerEnv {
  env: Record<string, string>;
  warnings: EnvWarning[];
}

export interface EnvContext {
  objects: ClusterObjects | undefined;
  /** The pod's service variables (service-env.ts). */
  serviceEnv: Readonly<Record<string, string>>;
  runtime: PodRuntimeFields;
  allocatable: NodeAllocatable;
}

/**
 * Kubernetes 1.32 (RelaxedEnvironmentVariableValidation, on by default): any printable ASCII
 * character but `=`, not empty.
 */
export function isValidEnvName(name: string): boolean {
  return name !== '' && /^[\x20-\x3c\x3e-\x7e]+$/.test(name);
}

/** The string values of a ConfigMap's `data`, or a Secret's `data` decoded from base64. */
function dataOf(obj: JsonObject, base64: boolean): Record<string, string> {
  const data = isRecord(obj.data) ? obj.data : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === 'string') out[k] = base64 ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  return out;
}

type SourceKind = 'configmaps' | 'secrets';

/** One pod's lookups, each object read once per container start (as the kubelet's maps). */
class Sources {
  private readonly seen = new Map<string, Record<string, string> | undefined>();

  constructor(
    private readonly objects: ClusterObjects | undefined,
    private readonly namespace: string,
  ) {}

  /** The object's data; undefined when it is missing and `optional`; throws otherwise. */
  data(kind: SourceKind, name: string, optional: boolean): Record<string, string> | undefined {
    const key = `${kind}/${name}`;
    if (this.seen.has(key)) return this.seen.get(key);
    try {
      const data = dataOf(getObject(this.objects, kind, this.namespace, name), kind === 'secrets');
      this.seen.set(key, data);
      return data;
    } catch (err) {
      if (err instanceof ObjectNotFoundError && optional) return undefined;
      throw new ContainerConfigError((err as Error).message);
    }
  }
}

/** The container's environment; throws ContainerConfigError with the kubelet's message. */
export function resolveContainerEnv(pod: JsonObject, container: JsonObject, ctx: EnvContext): ContainerEnv {
  const namespace = String(optionalRecord(pod, 'metadata')?.namespace ?? 'default');
  const sources = new Sources(ctx.objects, namespace);
  const env = new Map<string, string>();
  const warnings: EnvWarning[] = [];

  for (const from of recordList(container, 'envFrom')) {
    const prefix = typeof from.prefix === 'string' ? from.prefix : '';
    const ref = optionalRecord(from, 'configMapRef') ?? optionalRecord(from, 'secretRef');
    if (!ref) continue;
    const kind: SourceKind = isRecord(from.configMapRef) ? 'configmaps' : 'secrets';
    const name = String(ref.name ?? '');
    const data = sources.data(kind, name, ref.optional === true);
    if (!data) continue;
    const invalid: string[] = [];
    for (const [key, value] of Object.entries(data)) {
      const varName = prefix + key;
      if (!isValidEnvName(varName)) invalid.push(varName);
      else env.set(varName, value);
    }
    if (invalid.length > 0) {
      const what = kind === 'configmaps' ? 'configMap' : 'secret';
      warnings.push({
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const mapping = mappingFor(env, ctx.serviceEnv);
  for (const e of recordList(container, 'env')) {
    const name = typeof e.name === 'string' ? e.name : '';
    const literal = typeof e.value === 'string' ? e.value : '';
    const valueFrom = optionalRecord(e, 'valueFrom');
    let value: string | undefined = literal;
    if (literal !== '') value = expand(literal, mapping);
    else if (valueFrom) value = valueFromSource(pod, container, valueFrom, sources, namespace, ctx);
    if (value !== undefined) env.set(name, value);
  }

  const result = Object.fromEntries(env);
  for (const [k, v] of Object.entries(ctx.serviceEnv)) if (!env.has(k)) result[k] = v;
  return { env: result, warnings };
}

/** A `valueFrom`'s value; undefined when an optional source is missing (the variable is not set). */
function valueFromSource(pod: JsonObject, container: JsonObject, valueFrom: JsonObject, sources: Sources, namespace: string, ctx: EnvContext): string | undefined {
  try {
    const fieldRef = optionalRecord(valueFrom, 'fieldRef');
    if (fieldRef) return envFieldValue(pod, fieldRef, ctx.runtime);
    const resourceRef = optionalRecord(valueFrom, 'resourceFieldRef');
    if (resourceRef) return resourceFieldValue(pod, resourceRef, ctx.allocatable, String(container.name ?? ''));
  } catch (err) {
    if (err instanceof DownwardApiError) throw new ContainerConfigError(err.message);
    throw err;
  }
  const cmRef = optionalRecord(valueFrom, 'configMapKeyRef');
  const secretRef = optionalRecord(valueFrom, 'secretKeyRef');
  const ref = cmRef ?? secretRef;
  if (!ref) return '';
  const kind: SourceKind = cmRef ? 'configmaps' : 'secrets';
  const name = String(ref.name ?? '');
  const key = String(ref.key ?? '');
  const optional = ref.optional === true;
  const data = sources.data(kind, name, optional);
  if (!data) return undefined;
  if (Object.hasOwn(data, key)) return data[key];
  if (optional) return undefined;
  throw new ContainerConfigError(`couldn't find key ${key} in ${cmRef ? 'ConfigMap' : 'Secret'} ${namespace}/${name}`);
}

/** `$(VAR)` in command and args, against the container's final environment (`ExpandContainerCommandAndArgs`). */
export function expandCommand(words: readonly string[] | undefined, env: Readonly<Record<string, string>>): string[] | undefined {
  if (words === undefined) return undefined;
  const mapping = mappingFor(env);
  return words.map((w) => expand(w, mapping));
}

/** `subPathExpr` against the container's env only; every referenced variable must be set and non-empty. */
export function expandSubPathExpr(expr: string, env: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const expanded = expand(expr, (name) => {
    const v = env[name];
    if (v === undefined || v === '') missing.add(name);
    return v ?? '';
  });
  if (missing.size > 0) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return expanded;
}
