import { describe, expect, it } from 'vitest';
import { findResource } from '../api/kinds.ts';
import { ApiError } from '../api/status.ts';
import { CompactedError, ConflictError, KeyExistsError, NotFoundError, StoreUnavailableError } from '../store/errors.ts';
import { fromStoreError } from './store-errors.ts';

const pods = findResource('', 'v1', 'pods')!;

describe('fromStoreError', () => {
  it.each([
    [new KeyExistsError('/k'), 409, 'AlreadyExists'],
    [new NotFoundError('/k'), 404, 'NotFound'],
    [new ConflictError('/k', 3, undefined), 409, 'Conflict'],
    [new CompactedError(2, 10), 410, 'Expired'],
    [new StoreUnavailableError('no quorum'), 503, 'ServiceUnavailable'],
    [new Error('weird'), 500, 'InternalError'],
  ])('%s', (err, code, reason) => {
    const api = fromStoreError(err, pods, 'x');
    expect([api.code, api.reason]).toEqual([code, reason]);
  });

  it('keeps an ApiError and words Compacted like Kubernetes', () => {
    const original = ApiError.badRequest('x');
    expect(fromStoreError(original, pods, 'x')).toBe(original);
    expect(fromStoreError(new CompactedError(2, 10), pods, '').message).toBe('too old resource version: 2 (10)');
  });
});
