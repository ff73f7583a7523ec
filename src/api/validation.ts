/**
 * Object validation: the entry points the API server calls. `validateObject` runs the kind's
 * schema (kubernetes-models' ajv validators, loaded on first use), Kubernetes' own rules that
 * the schema lacks, and, for `fieldValidation=Strict`, the unknown-field check.
 * Call it on the defaulted, prepared object (after `applyDefaults` and `prepareForCreate`).
 */
import type { FieldError } from './field.ts';
import type { ResourceInfo } from './kinds.ts';
import { isRecord, type KubeObject } from './object.ts';
import { ApiError } from './status.ts';
import { validateObjectMeta } from './validation/meta.ts';
import { kindRules } from './validation/rules.ts';
import { schemaErrors } from './validation/schema.ts';
import { generatedSchemas, pruneUnknownFields, unknownFields, type SchemaLookup } from './validation/strict.ts';

export { validateUpdate } from './validation/update.ts';
export type { SchemaLookup, SchemaNode } from './validation/strict.ts';

export interface ValidateOptions {
  /** Report fields the schema does not declare (`fieldValidation=Strict`). */
  strict: boolean;
  /** Schema source for the strict check; defaults to src/api/generated/schemas.json. */
  schemas?: SchemaLookup;
}

/**
 * All field errors of `obj`, [] when valid. Unknown fields (strict mode only) come first with
 * type `FieldValueUnknown`; `toApiError` turns the list into the Status Kubernetes answers.
 */
export async function validateObject(info: ResourceInfo, obj: KubeObject, opts: ValidateOptions): Promise<FieldError[]> {
  // JSON null means "absent" to Kubernetes' decoder; the ajv schemas would call it a type error.
  const clean = dropNulls(obj) as KubeObject;
  // But an undeclared field is unknown whatever its value, null too: Kubernetes' strict decoder
  // reads the key before the value.
  const unknown = opts.strict ? unknownFields(info, obj, opts.schemas ?? (await generatedSchemas())) : [];
  const rules = [...validateObjectMeta(info, isRecord(clean.metadata) ? clean.metadata : undefined), ...kindRules(info, clean)];
  // Where a Kubernetes rule already speaks about a field, its wording wins over the schema's.
  const ruled = new Set(rules.map((e) => e.field));
  const schema = (await schemaErrors(info, clean)).filter((e) => !ruled.has(e.field));
  return [...unknown, ...rules, ...schema];
}

/**
 * The Status for a failed validation: 400 `strict decoding error: unknown field ...` when any
 * field is unknown (Kubernetes fails decoding before validating), else 422 Invalid.
 */
export function toApiError(info: ResourceInfo, name: string, errors: readonly FieldError[]): ApiError {
  const unknown = errors.filter((e) => e.type === 'FieldValueUnknown');
  return unknown.length ? ApiError.strictDecoding(unknown) : ApiError.invalid(info, name, errors);
}

/** Drops (in place) the fields of `obj` its kind's schema does not declare. */
export async function pruneUnknown(info: ResourceInfo, obj: KubeObject, schemas?: SchemaLookup): Promise<void> {
  pruneUnknownFields(info, obj, schemas ?? (await generatedSchemas()));
}

/** `fieldValidation=Warn`: the unknown-field messages Kubernetes sends as `Warning` headers. */
export function unknownFieldWarnings(errors: readonly FieldError[]): string[] {
  return errors.filter((e) => e.type === 'FieldValueUnknown').map((e) => e.message);
}

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out;
}
