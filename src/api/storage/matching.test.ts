/** The binder's volume choice, table by table, as Kubernetes' FindMatchingVolume and findBestMatchForClaim decide. */
import { describe, expect, it } from 'vitest';
import type { JsonObject, KubeObject } from '../object.ts';
import { defaultClassOf } from './helpers.ts';
import { findBestMatchForClaim, volumeSatisfiesClaim } from './matching.ts';

const claim = (spec: JsonObject = {}, name = 'c'): KubeObject => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: '', ...spec },
});
const pv = (name: string, size: string, spec: JsonObject = {}, extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name, labels: {}, ...(extra.metadata ?? {}) },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: '', ...spec },
  status: { phase: 'Available' },
  ...(extra.status ? { status: extra.status } : {}),
});
const pick = (c: KubeObject, vols: KubeObject[], delayBinding = false) => findBestMatchForClaim(c, vols, { delayBinding })?.metadata?.name;

describe('findBestMatchForClaim', () => {
  it('takes the smallest volume that fits, of the claim class, Available and not being deleted', () => {
    expect(pick(claim(), [pv('10g', '10Gi'), pv('2g', '2Gi'), pv('500m', '500Mi')])).toBe('2g');
    expect(pick(claim({ storageClassName: 'fast' }), [pv('slow', '1Gi'), pv('fast', '5Gi', { storageClassName: 'fast' })])).toBe('fast');
    expect(pick(claim(), [pv('bound', '1Gi', {}, { status: { phase: 'Bound' } }), pv('gone', '1Gi', {}, { metadata: { name: 'gone', deletionTimestamp: 'x' } })])).toBeUndefined();
    expect(pick(claim({ volumeMode: 'Block' }), [pv('fs', '1Gi')])).toBeUndefined();
  });

  it('prefers the access-mode set with fewest modes, then the smallest in it', () => {
    expect(pick(claim(), [pv('rwo-rox', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }), pv('rwo-big', '5Gi')])).toBe('rwo-big');
    expect(pick(claim({ accessModes: ['ReadWriteMany'] }), [pv('rwo', '1Gi')])).toBeUndefined();
  });

  it('honours the selector, and a volume pre-bound to the claim wins whatever its size or phase', () => {
    expect(pick(claim({ selector: { matchLabels: { tier: 'gold' } } }), [pv('plain', '1Gi'), pv('gold', '9Gi', {}, { metadata: { name: 'gold', labels: { tier: 'gold' } } })])).toBe('gold');
    const reserved = pv('reserved', '50Gi', { claimRef: { namespace: 'ns', name: 'c' } }, { status: { phase: 'Pending' } });
    expect(pick(claim(), [pv('small', '1Gi'), reserved])).toBe('reserved');
    expect(pick(claim({}, 'other'), [pv('x', '1Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'uid-c' } })])).toBeUndefined();
  });

  it('leaves WaitForFirstConsumer claims to the scheduler, except for a volume pre-bound to them', () => {
    expect(pick(claim(), [pv('free', '1Gi')], true)).toBeUndefined();
    expect(pick(claim(), [pv('mine', '1Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'uid-c' } })], true)).toBe('mine');
  });

  it('offers a local-path volume only once its node holds the directory', () => {
    const local = (finalizers: string[]) => pv('pvc-uid-c', '1Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'uid-c' } }, { metadata: { name: 'pvc-uid-c', annotations: { 'pv.kubernetes.io/provisioned-by': 'kactus.io/local-path' }, finalizers } });
    expect(pick(claim(), [local(['kubernetes.io/pv-protection'])], true)).toBeUndefined();
    expect(pick(claim(), [local(['kubernetes.io/pv-protection', 'kactus.io/local-volume'])], true)).toBe('pvc-uid-c');
  });
});

describe('volumeSatisfiesClaim and defaultClassOf', () => {
  it('says why a named volume does not fit, in Kubernetes\' words', () => {
    expect(volumeSatisfiesClaim(pv('v', '500Mi'), claim())).toBe('requested PV is too small');
    expect(volumeSatisfiesClaim(pv('v', '1Gi', { storageClassName: 'x' }), claim())).toBe('storageClassName does not match');
    expect(volumeSatisfiesClaim(pv('v', '1Gi', { accessModes: ['ReadOnlyMany'] }), claim())).toBe('incompatible accessMode');
    expect(volumeSatisfiesClaim(pv('v', '1Gi'), claim())).toBeUndefined();
  });

  it('picks the newest default class, then by name', () => {
    const sc = (name: string, at: string, isDefault = true): KubeObject => ({ metadata: { name, creationTimestamp: at, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} } });
    expect(defaultClassOf([sc('old', '2024-01-01T00:00:00Z'), sc('new', '2025-01-01T00:00:00Z'), sc('newest-not-default', '2026-01-01T00:00:00Z', false)])?.metadata?.name).toBe('new');
    expect(defaultClassOf([sc('b', '2025-01-01T00:00:00Z'), sc('a', '2025-01-01T00:00:00Z')])?.metadata?.name).toBe('a');
    expect(defaultClassOf([sc('x', '2025-01-01T00:00:00Z', false)])).toBeUndefined();
  });
});
