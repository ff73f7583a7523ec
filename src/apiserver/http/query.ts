/**
 * Query parameters of resource requests, parsed into the Registry's option objects. Bad values
 * are 400s with a message naming the parameter.
 */
import { ApiError } from '../../api/status.ts';
import { isRecord } from '../../api/object.ts';
import type { DeleteOptions, FieldValidation, ListOptions, PropagationPolicy, WatchOptions, WriteOptions } from '../../registry/types.ts';

/**
 * A boolean parameter: Go's strconv.ParseBool spellings in any case (`true`, `True`, `t`, `1`, or
 * empty, for true; `false`, `False`, `f`, `0`), as Kubernetes compares them case-insensitively:
 * Python's client sends `stdin=False&tty=False`. 400 for anything else.
 */
export function bool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const lower = v.toLowerCase();
  if (lower === 'true' || lower === 't' || v === '1' || v === '') return true;
  if (lower === 'false' || lower === 'f' || v === '0') return false;
  throw ApiError.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be a boolean`);
}

/** An integer parameter; 400 for anything else. */
export function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw ApiError.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

function str(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  return v === null || v === '' ? undefined : v;
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw ApiError.badRequest(`${name}: Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

/** `?watch=1` (or true). */
export function isWatchRequest(q: URLSearchParams): boolean {
  return bool(q, 'watch') === true;
}

export function writeOptions(q: URLSearchParams): WriteOptions {
  const opts: WriteOptions = {};
  const dryRun = q.getAll('dryRun');
  if (dryRun.length) {
    for (const d of dryRun) oneOf(d, 'dryRun', ['All'] as const);
    opts.dryRun = true;
  }
  const fv = oneOf<FieldValidation>(str(q, 'fieldValidation'), 'fieldValidation', ['Strict', 'Warn', 'Ignore']);
  if (fv) opts.fieldValidation = fv;
  return opts;
}

export function listOptions(q: URLSearchParams): ListOptions {
  const limit = int(q, 'limit');
  if (limit !== undefined && limit < 0) throw ApiError.badRequest('limit: Invalid value: must be non-negative');
  return {
    labelSelector: str(q, 'labelSelector'),
    fieldSelector: str(q, 'fieldSelector'),
    limit,
    continue: str(q, 'continue'),
    resourceVersion: str(q, 'resourceVersion'),
    resourceVersionMatch: oneOf(str(q, 'resourceVersionMatch'), 'resourceVersionMatch', ['NotOlderThan', 'Exact'] as const),
  };
}

export function watchOptions(q: URLSearchParams): WatchOptions {
  return {
    labelSelector: str(q, 'labelSelector'),
    fieldSelector: str(q, 'fieldSelector'),
    resourceVersion: str(q, 'resourceVersion'),
    resourceVersionMatch: oneOf(str(q, 'resourceVersionMatch'), 'resourceVersionMatch', ['NotOlderThan', 'Exact'] as const),
    allowWatchBookmarks: bool(q, 'allowWatchBookmarks'),
    sendInitialEvents: bool(q, 'sendInitialEvents'),
  };
}

/** `timeoutSeconds` of a watch, if given. */
export function timeoutSeconds(q: URLSearchParams): number | undefined {
  const t = int(q, 'timeoutSeconds');
  if (t !== undefined && t < 0) throw ApiError.badRequest('timeoutSeconds: Invalid value: must be non-negative');
  return t;
}

const POLICIES = ['Orphan', 'Background', 'Foreground'] as const;

/** The longest grace a Go time.Duration holds (2^63 ns): what Kubernetes can add to now. */
const MAX_GRACE_SECONDS = 9_223_372_036;

/** A grace period as Kubernetes decodes it (an int64 of seconds that a time.Duration holds), else a 400 naming it. */
function gracePeriodSeconds(v: number): number {
  if (!Number.isInteger(v) || Math.abs(v) > MAX_GRACE_SECONDS) {
    throw ApiError.badRequest(`invalid value for gracePeriodSeconds: ${JSON.stringify(v)}: must be an integer of at most ${MAX_GRACE_SECONDS} seconds`);
  }
  return v;
}

/**
 * DeleteOptions from the body (kubectl sends `{"kind":"DeleteOptions",...}`) and the query;
 * the query wins where both are given, as Kubernetes' decoder applies it last.
 */
export function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const opts: DeleteOptions = { ...writeOptions(q) };
  if (isRecord(body)) {
    if (typeof body.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = gracePeriodSeconds(body.gracePeriodSeconds);
    if (typeof body.propagationPolicy === 'string') opts.propagationPolicy = oneOf(body.propagationPolicy, 'propagationPolicy', POLICIES);
    if (typeof body.orphanDependents === 'boolean') opts.orphanDependents = body.orphanDependents;
    if (Array.isArray(body.dryRun) && body.dryRun.length) {
      for (const d of body.dryRun) oneOf(String(d), 'dryRun', ['All'] as const);
      opts.dryRun = true;
    }
    if (isRecord(body.preconditions)) {
      const pre = body.preconditions;
      opts.preconditions = {
        uid: typeof pre.uid === 'string' ? pre.uid : undefined,
        resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
      };
    }
  }
  const grace = int(q, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = gracePeriodSeconds(grace);
  const policy = oneOf<PropagationPolicy>(str(q, 'propagationPolicy'), 'propagationPolicy', POLICIES);
  if (policy) opts.propagationPolicy = policy;
  const orphan = bool(q, 'orphanDependents');
  if (orphan !== undefined) opts.orphanDependents = orphan;
  return opts;
}
