/**
 * Reads Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the
 * same plain objects a JSON body gives, for the kinds in protobuf-schema.ts. The body is the
 * magic `k8s\0` and a runtime.Unknown envelope (1: TypeMeta {1: apiVersion, 2: kind}, 2: the
 * object's bytes, 3: content encoding, 4: content type); the object's message is read against
 * its table. Responses stay JSON: protobuf clients accept it.
 */
import protobuf from 'protobufjs/minimal.js';
import { ApiError } from '../../api/status.ts';
import { MESSAGES, ROOT_MESSAGES, type FieldSpec, type FieldType, type MessageName } from './protobuf-schema.ts';

const { Reader } = protobuf;
type ProtoReader = protobuf.Reader;

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from('k8s\0', 'latin1');

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** A body this server cannot read as protobuf, though it may be valid: the client should send JSON. */
function unsupported(detail: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `${detail}; send this object as JSON or YAML (for example with kubectl create -f or kubectl apply -f)`);
}

export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw ApiError.badRequest('the protobuf body does not start with the Kubernetes magic number "k8s\\0"');
  }
  try {
    const envelope = readEnvelope(body.subarray(MAGIC.length));
    const message = ROOT_MESSAGES[`${envelope.apiVersion}/${envelope.kind}`];
    if (!message) {
      throw unsupported(`this server reads protobuf bodies only for ${Object.keys(ROOT_MESSAGES).join(', ')}, not ${envelope.apiVersion}/${envelope.kind}`);
    }
    return { apiVersion: envelope.apiVersion, kind: envelope.kind, ...readMessage(envelope.raw, message) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // protobufjs throws RangeError on truncated input and Error on bad wire types.
    throw ApiError.badRequest(`malformed protobuf body: ${(err as Error).message}`);
  }
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

function readEnvelope(bytes: Uint8Array): Envelope {
  const envelope: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array() };
  forEachField(bytes, 'runtime.Unknown', (r, field) => {
    if (field === 1) {
      forEachField(r.bytes(), 'TypeMeta', (t, typeField) => {
        if (typeField === 1) envelope.apiVersion = t.string();
        else if (typeField === 2) envelope.kind = t.string();
        else return false;
        return true;
      });
    } else if (field === 2) envelope.raw = r.bytes();
    else if (field === 3 || field === 4) {
      const encoding = r.string();
      if (encoding !== '') throw unsupported(`protobuf bodies with content ${field === 3 ? 'encoding' : 'type'} "${encoding}" are not read`);
    } else return false;
    return true;
  });
  return envelope;
}

/**
 * Calls `read` for each field of a message; `read` consumes the field's value and returns true,
 * or returns false without reading for a field it does not know, which must then hold its zero value.
 */
function forEachField(bytes: Uint8Array, message: string, read: (r: ProtoReader, field: number, wireType: number) => boolean): void {
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (!read(r, field, wireType)) expectZero(r, wireType, message, field);
  }
}

function expectZero(r: ProtoReader, wireType: number, message: string, field: number): void {
  if (!readZero(r, wireType)) throw unsupported(`field ${field} of ${message} in the protobuf body is not understood by this server`);
}

/**
 * Reads one value and tells whether it is a zero value: 0, an empty string, or a message whose
 * fields are all zero (gogo writes a non-pointer struct such as `strategy: {}` that way).
 */
function readZero(r: ProtoReader, wireType: number): boolean {
  if (wireType === WIRE_VARINT) return r.uint64().toString() === '0';
  if (wireType === WIRE_FIXED64) return r.fixed64().toString() === '0';
  if (wireType === WIRE_FIXED32) return r.fixed32() === 0;
  if (wireType !== WIRE_BYTES) throw new Error(`wire type ${wireType}`);
  const bytes = r.bytes();
  if (bytes.length === 0) return true;
  try {
    const inner = Reader.create(bytes);
    while (inner.pos < inner.len) if (!readZero(inner, inner.uint32() & 7)) return false;
    return true;
  } catch {
    return false; // not a message: a non-empty string or bytes
  }
}

function readMessage(bytes: Uint8Array, message: MessageName): Record<string, unknown> {
  const fields: Record<number, FieldSpec> = MESSAGES[message];
  const out: Record<string, unknown> = {};
  forEachField(bytes, message, (r, number, wireType) => {
    const spec = fields[number];
    if (!spec) return false;
    if (spec.map) {
      const [key, value] = readMapEntry(r.bytes(), spec.type);
      ((out[spec.name] ??= {}) as Record<string, unknown>)[key] = value;
    } else if (spec.list) {
      ((out[spec.name] ??= []) as unknown[]).push(readValue(r, wireType, spec.type, message, number));
    } else {
      const value = readValue(r, wireType, spec.type, message, number);
      if (spec.pointer ? value !== undefined : !isZero(value)) out[spec.name] = value;
      else delete out[spec.name];
    }
    return true;
  });
  return out;
}

function readMapEntry(bytes: Uint8Array, valueType: FieldType): [string, unknown] {
  let key = '';
  let value: unknown = zeroOf(valueType);
  forEachField(bytes, 'map entry', (r, field, wireType) => {
    if (field === 1) key = r.string();
    else if (field === 2) value = readValue(r, wireType, valueType, 'map entry', 2);
    else return false;
    return true;
  });
  return [key, value];
}

function zeroOf(type: FieldType): unknown {
  return type === 'string' || type === 'bytes' || type === 'Quantity' ? '' : undefined;
}

function isZero(value: unknown): boolean {
  if (value === undefined || value === '' || value === 0 || value === false) return true;
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function readValue(r: ProtoReader, wireType: number, type: FieldType, message: string, field: number): unknown {
  const expected = type === 'int32' || type === 'int64' || type === 'bool' ? WIRE_VARINT : WIRE_BYTES;
  if (wireType !== expected) throw new Error(`field ${field} of ${message} has wire type ${wireType}, expected ${expected}`);
  switch (type) {
    case 'string':
      return r.string();
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'int32':
      return r.int32();
    case 'int64':
      return Number(r.int64().toString());
    case 'bool':
      return r.bool();
    case 'Time':
      return readTime(r.bytes());
    case 'Quantity':
      return readSingleString(r.bytes(), 'resource.Quantity');
    case 'IntOrString':
      return readIntOrString(r.bytes());
    default:
      return readMessage(r.bytes(), type);
  }
}

/** metav1.Time {1: seconds, 2: nanos} as RFC 3339 (whole seconds, as Kubernetes' JSON); the zero time is absent. */
function readTime(bytes: Uint8Array): string | undefined {
  let seconds = 0;
  forEachField(bytes, 'metav1.Time', (r, field) => {
    if (field === 1) seconds = Number(r.int64().toString());
    else if (field === 2) r.int32();
    else return false;
    return true;
  });
  return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** resource.Quantity {1: string}. */
function readSingleString(bytes: Uint8Array, message: string): string {
  let value = '';
  forEachField(bytes, message, (r, field) => {
    if (field !== 1) return false;
    value = r.string();
    return true;
  });
  return value;
}

/** intstr.IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal}. */
function readIntOrString(bytes: Uint8Array): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  forEachField(bytes, 'intstr.IntOrString', (r, field) => {
    if (field === 1) type = Number(r.int64().toString());
    else if (field === 2) intVal = r.int32();
    else if (field === 3) strVal = r.string();
    else return false;
    return true;
  });
  return type === 1 ? strVal : intVal;
}
