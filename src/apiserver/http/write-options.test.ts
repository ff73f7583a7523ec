import { describe, expect, it } from 'vitest';
import { checkWriteOptions } from './write-options.ts';

const q = (s: string): URLSearchParams => new URLSearchParams(s);
const failure = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('checkWriteOptions (found missing by the API fuzzer)', () => {
  it("refuses an apply without fieldManager, with Kubernetes' message", () => {
    expect(failure(() => checkWriteOptions(q(''), 'PatchOptions', true))).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    expect(failure(() => checkWriteOptions(q('fieldManager=kubectl&force=true'), 'PatchOptions', true))).toBe('accepted');
  });

  it('bounds fieldManager to 128 printable bytes on every write', () => {
    expect(failure(() => checkWriteOptions(q(`fieldManager=${'a'.repeat(129)}`), 'CreateOptions'))).toMatch(/^CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long/);
    expect(failure(() => checkWriteOptions(q(`fieldManager=${'ü'.repeat(65)}`), 'UpdateOptions'))).toMatch(/fieldManager: Too long/);
    expect(failure(() => checkWriteOptions(q('fieldManager=a%00b'), 'CreateOptions'))).toBe('CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\u0000b": invalid characters');
    expect(failure(() => checkWriteOptions(q('fieldManager=kubectl-client-side-apply'), 'CreateOptions'))).toBe('accepted');
    expect(failure(() => checkWriteOptions(q('fieldManager=my tool (v1.2)'), 'CreateOptions'))).toBe('accepted');
  });

  it('allows force on apply only, as a boolean', () => {
    expect(failure(() => checkWriteOptions(q('force=true'), 'PatchOptions'))).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    expect(failure(() => checkWriteOptions(q('fieldManager=x&force=maybe'), 'PatchOptions', true))).toMatch(/invalid value for force/);
  });
});
