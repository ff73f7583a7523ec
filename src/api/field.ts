/**
 * Field errors as Kubernetes reports them (`k8s.io/apimachinery/pkg/util/validation/field`):
 * a path such as `spec.containers[0].image`, a type (the Status cause `reason`) and a message
 * body such as `Required value` or `Invalid value: "x": must be ...`.
 */

/** The `reason` of a Kubernetes Status cause. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'FieldValueUnknown';

/** One problem with one field. `message` is the body without the path: `Required value`. */
export interface FieldError {
  type: FieldErrorType;
  /** Kubernetes field path, e.g. `spec.containers[0].image`. */
  field: string;
  message: string;
}

/** Renders a bad value the way Go's field errors do: strings quoted, numbers and booleans bare. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * A decoded JSON value as text for comparisons and keys: `String()` of primitives, JSON of the
 * rest. Never `String(obj)`: a body's object may carry a `toString` key that is not a function,
 * and converting it throws (found by test/security/fuzz-api.test.ts: a 500 on a Service's port).
 */
export function valueText(value: unknown): string {
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function withDetail(body: string, detail?: string): string {
  return detail ? `${body}: ${detail}` : body;
}

/** Field-path builder: `child(path, 'spec')`, `index(path, 0)`, `key(path, 'a')`. */
export function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

export function required(field: string, detail?: string): FieldError {
  return { type: 'FieldValueRequired', field, message: withDetail('Required value', detail) };
}

export function invalid(field: string, value: unknown, detail?: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: withDetail(`Invalid value: ${formatValue(value)}`, detail) };
}

export function typeInvalid(field: string, value: unknown, detail?: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field, message: withDetail(`Invalid value: ${formatValue(value)}`, detail) };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return {
    type: 'FieldValueNotSupported',
    field,
    message: withDetail(`Unsupported value: ${formatValue(value)}`, supported.length ? `supported values: ${list}` : undefined),
  };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, message: `Duplicate value: ${formatValue(value)}` };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, message: withDetail('Forbidden', detail) };
}

/** A reference to something that does not exist (a volumeMount naming no volume). */
export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, message: `Not found: ${formatValue(value)}` };
}

export function tooLong(field: string, maxLength: number): FieldError {
  return { type: 'FieldValueTooLong', field, message: `Too long: may not be more than ${maxLength} bytes` };
}

/** A list longer than allowed: `Too many: 101: must have at most 100 items`. */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` };
}

/** Strict decoding's complaint about a field the schema does not declare. */
export function unknownField(field: string): FieldError {
  return { type: 'FieldValueUnknown', field, message: `unknown field ${JSON.stringify(field)}` };
}

/** `spec.containers[0].image: Required value`. Unknown fields already carry their path. */
export function fieldErrorString(e: FieldError): string {
  return e.type === 'FieldValueUnknown' ? e.message : `${e.field}: ${e.message}`;
}

/** Go's aggregate error text: one error alone, several as `[a, b]`. */
export function aggregateFieldErrors(errors: readonly FieldError[]): string {
  const parts = errors.map(fieldErrorString);
  return parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
}
