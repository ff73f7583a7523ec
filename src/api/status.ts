/**
 * Kubernetes `Status` errors. Every failure the API returns is an `ApiError` built by one of the
 * named constructors below, with Kubernetes' own reason, code and message wording (clients and
 * kubectl print the message verbatim; some tools branch on the reason).
 */
import { aggregateFieldErrors, type FieldError } from './field.ts';
import { qualifiedKind, qualifiedResource, type ResourceInfo } from './kinds.ts';
import { errorMessage } from './error-message.ts';

export type { FieldError, FieldErrorType } from './field.ts';

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Expired'
  | 'Gone'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** One cause inside `details.causes` (Kubernetes' JSON names the type `reason`). */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  /** The plural resource for NotFound/AlreadyExists/Conflict; the kind for Invalid, as Kubernetes does. */
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The JSON body of a failed request. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  /** ListMeta: only an expired list's `continue` (the token to carry on inconsistently) is ever set. */
  metadata: { continue?: string };
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** Names a resource in messages: a `ResourceInfo` or just its group and plural. */
export type ResourceRef = Pick<ResourceInfo, 'group' | 'resource'>;
/** Names a kind in Invalid messages. */
export type KindRef = Pick<ResourceInfo, 'group' | 'kind'>;

const MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

function resourceDetails(ref: ResourceRef, name?: string): StatusDetails {
  const details: StatusDetails = {};
  if (name) details.name = name;
  if (ref.group) details.group = ref.group;
  details.kind = ref.resource;
  return details;
}

/** An error that carries the Kubernetes Status the API server answers with. */
export class ApiError extends Error {
  readonly status: Status;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (details) this.status.details = details;
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): StatusReason {
    return this.status.reason;
  }

  /** The Status JSON (a fresh copy). */
  toStatus(): Status {
    return structuredClone(this.status);
  }

  /** 404: `pods "x" not found`. */
  static notFound(ref: ResourceRef, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualifiedResource(ref)} ${JSON.stringify(name)} not found`, resourceDetails(ref, name));
  }

  /** 409: `pods "x" already exists`. */
  static alreadyExists(ref: ResourceRef, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualifiedResource(ref)} ${JSON.stringify(name)} already exists`, resourceDetails(ref, name));
  }

  /** 409: `Operation cannot be fulfilled on pods "x": the object has been modified; ...`. */
  static conflict(ref: ResourceRef, name: string, detail: string = MODIFIED): ApiError {
    const message = `Operation cannot be fulfilled on ${qualifiedResource(ref)} ${JSON.stringify(name)}: ${detail}`;
    return new ApiError(409, 'Conflict', message, resourceDetails(ref, name));
  }

  /** 422: `Pod "x" is invalid: spec.containers[0].image: Required value`. */
  static invalid(ref: KindRef, name: string, errors: readonly FieldError[]): ApiError {
    const head = `${qualifiedKind(ref)} ${JSON.stringify(name)} is invalid`;
    const message = errors.length ? `${head}: ${aggregateFieldErrors(errors)}` : head;
    const details: StatusDetails = { name };
    if (ref.group) details.group = ref.group;
    details.kind = ref.kind;
    details.causes = errors.map((e) => ({ reason: e.type, message: e.message, field: e.field }));
    return new ApiError(422, 'Invalid', message, details);
  }

  /** 400 with a free message. */
  static badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  }

  /**
   * 400 for `fieldValidation=Strict`: `strict decoding error: unknown field "spec.foo"`.
   * Kubernetes reports unknown fields as a decoding failure, not as Invalid.
   */
  static strictDecoding(errors: readonly FieldError[]): ApiError {
    return ApiError.badRequest(`strict decoding error: ${errors.map((e) => e.message).join(', ')}`);
  }

  /** 410 Expired: `too old resource version: 5 (10)`. */
  static expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  }

  /** 410 Gone (e.g. an expired continue token). */
  static gone(message: string): ApiError {
    return new ApiError(410, 'Gone', message);
  }

  static unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError(401, 'Unauthorized', message);
  }

  /** 403: `pods "x" is forbidden: <reason>` (without a name: `pods is forbidden: <reason>`). */
  static forbidden(ref: ResourceRef, name: string, reason: string): ApiError {
    const subject = name ? `${qualifiedResource(ref)} ${JSON.stringify(name)}` : qualifiedResource(ref);
    return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${reason}`, resourceDetails(ref, name));
  }

  /** 405: `create is not supported on resources of kind "pods"`. */
  static methodNotAllowed(ref: ResourceRef, action: string): ApiError {
    const message = `${action} is not supported on resources of kind ${JSON.stringify(qualifiedResource(ref))}`;
    return new ApiError(405, 'MethodNotAllowed', message, resourceDetails(ref));
  }

  /** 415 naming the media types the server can decode. */
  static unsupportedMediaType(accepted: readonly string[]): ApiError {
    const message = `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`;
    return new ApiError(415, 'UnsupportedMediaType', message);
  }

  /** 406 naming the media types the server can encode. */
  static notAcceptable(accepted: readonly string[]): ApiError {
    return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
  }

  static tooManyRequests(message: string, retryAfterSeconds?: number): ApiError {
    return new ApiError(429, 'TooManyRequests', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });
  }

  /** 500: `Internal error occurred: <cause>`. */
  static internal(cause: unknown): ApiError {
    const text = errorMessage(cause);
    return new ApiError(500, 'InternalError', `Internal error occurred: ${text}`, { causes: [{ message: text }] });
  }

  static serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  }

  static timeout(message: string, retryAfterSeconds?: number): ApiError {
    return new ApiError(504, 'Timeout', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });
  }
}
