/**
 * The checker on hand-written histories whose verdict is known: each bad one is a kind of bug
 * a fault run looks for, each good one a concurrency the checker must not mistake for a bug.
 */
import { describe, expect, it } from 'vitest';
import { anyModel, checkHistory, checkKey } from './linearizability.ts';
import { deploymentSpecModel, type DeploymentSpecInput, type DeploymentSpecOutput } from './models/deployment-spec.ts';
import { kubeObjectModel, type KubeObjectInput, type KubeObjectOutput } from './models/kube-object.ts';
import { registerModel, type RegisterInput, type RegisterOutput } from './models/register.ts';
import { formatCheckResult } from './report.ts';
import { history, type OpSpec } from './test-histories.ts';

type R = OpSpec<RegisterInput<string>, RegisterOutput<string>>;
const w = (p: number, at: [number, number | null], value: string): R => ({ p, at, in: { kind: 'write', value }, out: { ok: true } });
const r = (p: number, at: [number, number | null], value: string | null): R => ({ p, at, in: { kind: 'read' }, out: { value: value as string } });
const register = (specs: R[]) => checkKey('x', history(specs), registerModel<string>());

type K = OpSpec<KubeObjectInput, KubeObjectOutput>;
const ok = (rv: number, value?: string): KubeObjectOutput => ({ status: 'ok', rv: String(rv), ...(value === undefined ? {} : { value }) });
const create = (p: number, at: [number, number | null], value: string, out: K['out']): K => ({ p, at, in: { kind: 'create', value }, out });
const get = (p: number, at: [number, number | null], out: K['out']): K => ({ p, at, in: { kind: 'get' }, out });
const update = (p: number, at: [number, number | null], value: string, rv: number, out: K['out']): K => ({ p, at, in: { kind: 'update', value, rv: String(rv) }, out });
const del = (p: number, at: [number, number | null], out: K['out']): K => ({ p, at, in: { kind: 'delete' }, out });
const object = (specs: K[]) => checkKey('ConfigMap default/x', history(specs, 'ConfigMap default/x'), kubeObjectModel());

describe('register histories', () => {
  it('accepts a sequential history and reads concurrent with a write on either side of it', () => {
    expect(register([w(1, [0, 10], 'a'), r(2, [20, 30], 'a')]).verdict).toBe('ok');
    // The write overlaps both reads: the first saw the old value, the second the new one.
    expect(register([w(1, [0, 100], 'a'), r(2, [10, 20], null), r(3, [30, 40], 'a')]).verdict).toBe('ok');
    // Two concurrent writes, read in the one order that fits.
    expect(register([w(1, [0, 50], 'a'), w(2, [0, 50], 'b'), r(3, [60, 70], 'a')]).verdict).toBe('ok');
    expect(register([w(1, [0, 50], 'a'), w(2, [0, 50], 'b'), r(3, [60, 70], 'b')]).verdict).toBe('ok');
  });

  it('refuses a stale read after a completed write', () => {
    expect(register([w(1, [0, 10], 'a'), w(1, [20, 30], 'b'), r(2, [40, 50], 'a')]).verdict).toBe('illegal');
  });

  it('refuses reads that see a concurrent write and then not (new then old)', () => {
    expect(register([w(1, [0, 100], 'a'), r(2, [10, 20], 'a'), r(3, [30, 40], null)]).verdict).toBe('illegal');
  });

  it('refuses a lost acknowledged write (the final read misses it)', () => {
    expect(register([w(1, [0, 10], 'a'), w(2, [5, 15], 'b'), r(3, [100, 110], null)]).verdict).toBe('illegal');
  });

  it('refuses a read of a value never written', () => {
    expect(register([w(1, [0, 10], 'a'), r(2, [20, 30], 'zz')]).verdict).toBe('illegal');
  });

  it('places a write of unknown outcome anywhere after its call, or nowhere', () => {
    expect(register([w(1, [0, null], 'a'), r(2, [10, 20], null), r(3, [30, 40], 'a')]).verdict).toBe('ok');
    expect(register([w(1, [0, null], 'a'), r(2, [10, 20], null), r(3, [300, 400], null)]).verdict).toBe('ok');
    // …but not before its call.
    expect(register([r(2, [0, 10], 'a'), w(1, [20, null], 'a')]).verdict).toBe('illegal');
    // …and once seen it stays.
    expect(register([w(1, [0, null], 'a'), r(2, [10, 20], 'a'), r(3, [30, 40], null)]).verdict).toBe('illegal');
  });
});

describe('Kubernetes object histories', () => {
  it('accepts create, get, update with the current resourceVersion, a stale one refused, delete', () => {
    const v = object([
      create(1, [0, 10], 'a', ok(5)),
      get(2, [20, 30], ok(5, 'a')),
      update(1, [40, 50], 'b', 5, ok(7)),
      update(2, [60, 70], 'c', 5, { status: 'Conflict' }),
      get(2, [80, 90], ok(7, 'b')),
      del(1, [100, 110], { status: 'ok' }),
      get(2, [120, 130], { status: 'NotFound' }),
      update(2, [140, 150], 'd', 7, { status: 'NotFound' }),
      create(2, [160, 170], 'e', ok(9)),
    ]);
    expect(v.verdict).toBe('ok');
  });

  it('accepts two concurrent creates when one of them got AlreadyExists, in either order', () => {
    expect(object([create(1, [0, 50], 'a', ok(5)), create(2, [0, 50], 'b', { status: 'AlreadyExists' }), get(3, [60, 70], ok(5, 'a'))]).verdict).toBe('ok');
    expect(object([create(1, [0, 50], 'a', { status: 'AlreadyExists' }), create(2, [0, 50], 'b', ok(5)), get(3, [60, 70], ok(5, 'b'))]).verdict).toBe('ok');
  });

  it('refuses two creates that both succeeded', () => {
    expect(object([create(1, [0, 50], 'a', ok(5)), create(2, [10, 60], 'b', ok(6))]).verdict).toBe('illegal');
  });

  it('refuses an update that succeeded with a stale resourceVersion', () => {
    const v = object([create(1, [0, 10], 'a', ok(5)), update(1, [20, 30], 'b', 5, ok(6)), update(2, [40, 50], 'c', 5, ok(7))]);
    expect(v.verdict).toBe('illegal');
    // Concurrent updates with one precondition: only one may succeed.
    expect(object([create(1, [0, 10], 'a', ok(5)), update(1, [20, 60], 'b', 5, ok(6)), update(2, [20, 60], 'c', 5, ok(7))]).verdict).toBe('illegal');
    expect(object([create(1, [0, 10], 'a', ok(5)), update(1, [20, 60], 'b', 5, ok(6)), update(2, [20, 60], 'c', 5, { status: 'Conflict' })]).verdict).toBe('ok');
  });

  it('refuses a Conflict when the precondition held', () => {
    expect(object([create(1, [0, 10], 'a', ok(5)), update(2, [20, 30], 'c', 5, { status: 'Conflict' })]).verdict).toBe('illegal');
  });

  it('refuses a lost acknowledged update and a deleted object still served', () => {
    expect(object([create(1, [0, 10], 'a', ok(5)), update(1, [20, 30], 'b', 5, ok(6)), get(2, [40, 50], ok(5, 'a'))]).verdict).toBe('illegal');
    expect(object([create(1, [0, 10], 'a', ok(5)), del(1, [20, 30], { status: 'ok' }), get(2, [40, 50], ok(5, 'a'))]).verdict).toBe('illegal');
  });

  it('refuses resourceVersions that go back, also across a delete', () => {
    expect(object([create(1, [0, 10], 'a', ok(5)), update(1, [20, 30], 'b', 5, ok(4))]).verdict).toBe('illegal');
    expect(object([create(1, [0, 10], 'a', ok(5)), del(1, [20, 30], { status: 'ok' }), create(1, [40, 50], 'b', ok(5))]).verdict).toBe('illegal');
  });

  it('refuses a read of a value never written', () => {
    expect(object([create(1, [0, 10], 'a', ok(5)), get(2, [20, 30], ok(5, 'zz'))]).verdict).toBe('illegal');
  });

  it('learns the resourceVersion of a write of unknown outcome from a later read', () => {
    const applied = object([create(1, [0, 10], 'a', ok(5)), update(1, [20, null], 'b', 5, 'unknown'), get(2, [30, 40], ok(8, 'b')), update(2, [50, 60], 'c', 8, ok(9))]);
    expect(applied.verdict).toBe('ok');
    const never = object([create(1, [0, 10], 'a', ok(5)), update(1, [20, null], 'b', 5, 'unknown'), get(2, [30, 40], ok(5, 'a')), update(2, [50, 60], 'c', 5, ok(9)), get(3, [70, 80], ok(9, 'c'))]);
    expect(never.verdict).toBe('ok');
    // Seen applied, the old resourceVersion cannot match any more.
    const stale = object([create(1, [0, 10], 'a', ok(5)), update(1, [20, null], 'b', 5, 'unknown'), get(2, [30, 40], ok(8, 'b')), update(2, [50, 60], 'c', 5, ok(9))]);
    expect(stale.verdict).toBe('illegal');
    // An unknown create seen by a read.
    expect(object([create(1, [0, null], 'a', 'unknown'), get(2, [30, 40], ok(3, 'a'))]).verdict).toBe('ok');
  });
});

describe('Deployment spec histories', () => {
  type D = OpSpec<DeploymentSpecInput, DeploymentSpecOutput>;
  const specs = (s: D[]) => checkKey('Deployment default/d', history(s), deploymentSpecModel());
  const made: D = { p: 0, at: [0, 10], in: { kind: 'create', replicas: 1, rollout: 'r0' }, out: { status: 'ok' } };

  it('accepts scales and rollouts read back, the rollout answer telling the replicas of its moment', () => {
    const v = specs([
      made,
      { p: 1, at: [20, 60], in: { kind: 'scale', replicas: 3 }, out: { status: 'ok', replicas: 3 } },
      { p: 2, at: [20, 60], in: { kind: 'rollout', rollout: 'r1' }, out: { status: 'ok', replicas: 1, rollout: 'r1' } },
      { p: 3, at: [70, 80], in: { kind: 'get' }, out: { status: 'ok', replicas: 3, rollout: 'r1' } },
      { p: 3, at: [90, 100], in: { kind: 'get-scale' }, out: { status: 'ok', replicas: 3 } },
    ]);
    expect(v.verdict).toBe('ok');
  });

  it('refuses a scale read back stale, and a rollout answer with replicas no order explains', () => {
    const stale = specs([made, { p: 1, at: [20, 30], in: { kind: 'scale', replicas: 3 }, out: { status: 'ok', replicas: 3 } }, { p: 2, at: [40, 50], in: { kind: 'get-scale' }, out: { status: 'ok', replicas: 1 } }]);
    expect(stale.verdict).toBe('illegal');
    const rollout = specs([made, { p: 1, at: [20, 30], in: { kind: 'scale', replicas: 3 }, out: { status: 'ok', replicas: 3 } }, { p: 2, at: [40, 50], in: { kind: 'rollout', rollout: 'r1' }, out: { status: 'ok', replicas: 1, rollout: 'r1' } }]);
    expect(rollout.verdict).toBe('illegal');
  });
});

describe('whole histories', () => {
  it('checks each key alone and explains the one that fails: key, prefix, state, refused candidates', () => {
    const h = history<KubeObjectInput, KubeObjectOutput>([
      { ...create(1, [0, 10], 'a', ok(5)), key: 'ConfigMap default/good' },
      { ...create(1, [0, 10], 'a', ok(6)), key: 'ConfigMap default/bad' },
      { ...update(1, [20, 30], 'b', 6, ok(7)), key: 'ConfigMap default/bad' },
      { ...get(2, [20, 30], ok(5, 'a')), key: 'ConfigMap default/good' },
      { ...get(2, [40, 50], ok(6, 'a')), key: 'ConfigMap default/bad' },
    ]);
    const result = checkHistory(h, () => anyModel(kubeObjectModel()));
    expect(result.verdict).toBe('illegal');
    expect(result.keys.map((k) => [k.key, k.verdict])).toEqual([
      ['ConfigMap default/good', 'ok'],
      ['ConfigMap default/bad', 'illegal'],
    ]);
    const bad = result.keys[1]!.explanation!;
    expect(bad.prefix.map((op) => op.id)).toEqual([1, 2]);
    expect(bad.blocking.id).toBe(4);
    expect(bad.candidates.map((c) => c.op.id)).toEqual([4]);
    const text = formatCheckResult(result);
    console.log(text);
    expect(text).toContain('ConfigMap default/bad (kubernetes object, 3 ops');
    expect(text).toContain('longest linearizable prefix: 2 ops');
    expect(text).toContain('state after it: "b" at resourceVersion 7');
    expect(text).toMatch(/#4 p2 \[40\.0, 50\.0\] \{"kind":"get"\} → .*\n\s+refused: "b" at resourceVersion 7: expected "b", got "a"/);
    expect(text).not.toContain('ConfigMap default/good (');
  });
});

describe('budget', () => {
  // Thirty overlapping writes, then a read of a value none wrote: every order of the writes is a
  // state the cache has not seen (2^30 sets), so the search cannot finish.
  const pathological = history<RegisterInput<string>, RegisterOutput<string>>([
    ...Array.from({ length: 30 }, (_, i) => w(i, [0, 1000], `v${i}`)),
    r(99, [2000, 2010], 'never'),
  ]);

  it('reports unknown when the step budget is spent', () => {
    const v = checkKey('x', pathological, registerModel<string>(), { maxStepsPerKey: 50_000 });
    expect(v).toMatchObject({ verdict: 'unknown', exhausted: 'steps', steps: 50_001 });
  });

  it('reports unknown at the deadline rather than hanging', () => {
    const started = performance.now();
    const v = checkHistory(pathological, () => anyModel(registerModel<string>()), { timeoutMs: 300, maxStepsPerKey: Infinity });
    expect(v.verdict).toBe('unknown');
    expect(v.keys[0]!.exhausted).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
