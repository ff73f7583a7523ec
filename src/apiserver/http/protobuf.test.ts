/**
 * The protobuf body reader on hand-built bodies: what it makes of zero values and pointers, and
 * how it refuses what it cannot read (415) or what is broken (400). kubectl's own bodies are
 * checked in test/apiserver/kubectl-create.test.ts.
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/status.ts';
import { decodeProtobufObject } from './protobuf.ts';

type Build = (w: protobuf.Writer) => void;

/** A length-delimited field holding a nested message. */
function message(w: protobuf.Writer, field: number, build: Build): void {
  w.uint32((field << 3) | 2).fork();
  build(w);
  w.ldelim();
}

function body(apiVersion: string, kind: string, object: Build, envelope: Build = () => undefined): Buffer {
  const w = protobuf.Writer.create();
  message(w, 1, (t) => t.uint32(10).string(apiVersion).uint32(18).string(kind));
  message(w, 2, object);
  envelope(w);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), w.finish()]);
}

const meta = (name: string): Build => (w) =>
  // name, then gogo's always-written zero fields: generateName "", selfLink "", generation 0, creationTimestamp {}.
  message(w, 1, (m) => m.uint32(10).string(name).uint32(18).string('').uint32(34).string('').uint32(56).int64(0).uint32(66).fork().ldelim());

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('decodeProtobufObject', () => {
  it('reads a ConfigMap: zero fields dropped, map entries kept (also empty values), bytes as base64', () => {
    const obj = decodeProtobufObject(
      body('v1', 'ConfigMap', (w) => {
        meta('cm')(w);
        message(w, 2, (e) => e.uint32(10).string('a').uint32(18).string('1'));
        message(w, 2, (e) => e.uint32(10).string('empty').uint32(18).string(''));
        message(w, 3, (e) => e.uint32(10).string('bin').uint32(18).bytes(Buffer.from([0, 255])));
      }),
    );
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1', empty: '' }, binaryData: { bin: 'AP8=' } });
  });

  it('keeps a pointer field set to zero and drops a plain zero; reads IntOrString and Time', () => {
    const obj = decodeProtobufObject(
      body('apps/v1', 'Deployment', (w) => {
        message(w, 1, (m) => m.uint32(10).string('d').uint32(66).fork().uint32(8).int64(1_700_000_000).ldelim());
        message(w, 2, (spec) => {
          spec.uint32(8).int32(0); // replicas: *int32
          spec.uint32(40).int32(0); // minReadySeconds: int32, zero (not in the table: accepted as zero)
        });
      }),
    );
    expect(obj).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', creationTimestamp: '2023-11-14T22:13:20Z' }, spec: { replicas: 0 } });
    const svc = decodeProtobufObject(
      body('v1', 'Service', (w) =>
        message(w, 2, (spec) => {
          message(spec, 1, (port) => message(port, 4, (ios) => ios.uint32(8).int64(1).uint32(26).string('https')));
          message(spec, 1, (port) => message(port, 4, (ios) => ios.uint32(8).int64(0).uint32(16).int32(8080)));
        }),
      ),
    );
    expect(svc.spec).toEqual({ ports: [{ targetPort: 'https' }, { targetPort: 8080 }] });
  });

  it('refuses a field it does not know that carries a value (415 naming it), not silently dropping it', () => {
    const err = failure(() =>
      decodeProtobufObject(
        body('v1', 'ConfigMap', (w) => {
          meta('cm')(w);
          w.uint32((99 << 3) | 0).int32(7);
        }),
      ),
    );
    expect(err.code).toBe(415);
    expect(err.message).toContain('field 99 of ConfigMap');
    // A non-empty status is not silently ignored either.
    const status = failure(() => decodeProtobufObject(body('v1', 'Namespace', (w) => message(w, 3, (s) => s.uint32(10).string('Active')))));
    expect(status.message).toContain('field 1 of IgnoredStatus');
  });

  it('refuses kinds it has no table for and encoded envelopes with 415', () => {
    expect(failure(() => decodeProtobufObject(body('v1', 'Pod', meta('p')))).code).toBe(415);
    expect(failure(() => decodeProtobufObject(body('v1', 'ConfigMap', meta('cm'), (w) => w.uint32(26).string('gzip')))).code).toBe(415);
  });

  it('answers broken bodies with 400: no magic, truncated, wrong wire type', () => {
    expect(failure(() => decodeProtobufObject(Buffer.from('{"kind":"ConfigMap"}'))).code).toBe(400);
    const whole = body('v1', 'ConfigMap', meta('cm'));
    // Cut inside the object's bytes (a cut between fields would be a shorter, valid message).
    for (let cut = whole.length - 1; cut > whole.length - 10; cut--) expect(failure(() => decodeProtobufObject(whole.subarray(0, cut))).code).toBe(400);
    const wrongType = body('v1', 'ConfigMap', (w) => w.uint32((1 << 3) | 0).int32(1));
    expect(failure(() => decodeProtobufObject(wrongType)).code).toBe(400);
  });
});
