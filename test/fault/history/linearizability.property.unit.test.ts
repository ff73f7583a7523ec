/**
 * Properties of the checker over generated histories. Each history comes from running a simple
 * reference implementation (a register; an object store with a global revision) one command at a
 * time, then giving each command a real-time interval around its moment (100 ms apart, stretched
 * by random amounts before and after so that neighbours overlap), some returning never (unknown:
 * applied, or not applied at all). Such a history is linearizable by construction: the checker
 * must accept it. Then a read is mutated to answer an older value although a later write
 * completed before it was called: the checker must refuse it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UNKNOWN, type Op } from './history.ts';
import { checkKey } from './linearizability.ts';
import { kubeObjectModel, type KubeObjectInput, type KubeObjectOutput } from './models/kube-object.ts';
import { registerModel, type RegisterInput, type RegisterOutput } from './models/register.ts';
import { formatKeyResult } from './report.ts';

const SPACING = 100;

/** How a command ended: answered, or never (having taken effect or not). */
type Fate = 'known' | 'unknown-applied' | 'unknown-lost';

interface Timing {
  before: number;
  after: number;
  fate: Fate;
}

const timing = (maxStretch: number, unknowns: boolean): fc.Arbitrary<Timing> =>
  fc.record({
    before: fc.nat(maxStretch),
    after: fc.nat(maxStretch),
    fate: unknowns ? fc.constantFrom<Fate>('known', 'known', 'known', 'known', 'unknown-applied', 'unknown-lost') : fc.constant<Fate>('known'),
  });

function place<I, O>(i: number, t: Timing, input: I, output: O): Op<I, O> {
  const at = (i + 1) * SPACING * 2;
  return t.fate === 'known'
    ? { id: i, process: i, key: 'x', input, call: at - t.before, ret: at + t.after, output }
    : { id: i, process: i, key: 'x', input, call: at - t.before, ret: Infinity, output: UNKNOWN };
}

// ---- a register

type RegOp = Op<RegisterInput<string>, RegisterOutput<string>>;
const registerCommands = (maxStretch: number, unknowns: boolean) => fc.array(fc.record({ write: fc.boolean(), t: timing(maxStretch, unknowns) }), { minLength: 1, maxLength: 40 });

function runRegister(commands: { write: boolean; t: Timing }[]): RegOp[] {
  let value: string | null = null;
  return commands.map(({ write, t }, i) => {
    if (write) {
      if (t.fate !== 'unknown-lost') value = `v${i}`;
      return place(i, t, { kind: 'write', value: `v${i}` }, { ok: true } as RegisterOutput<string>);
    }
    // A lost read is simply unanswered.
    return place(i, t.fate === 'known' ? t : { ...t, fate: 'unknown-lost' }, { kind: 'read' }, { value: value as string });
  });
}

// ---- a Kubernetes object: the store's revision counts every write of every key

type ObjOp = Op<KubeObjectInput, KubeObjectOutput>;
type ObjCommand = { kind: 'create' } | { kind: 'get' } | { kind: 'update'; fresh: boolean; pick: number } | { kind: 'delete' };
const objectCommand: fc.Arbitrary<ObjCommand> = fc.oneof(
  fc.constant({ kind: 'create' as const }),
  fc.constant({ kind: 'get' as const }),
  fc.record({ kind: fc.constant('update' as const), fresh: fc.boolean(), pick: fc.nat() }),
  fc.constant({ kind: 'delete' as const }),
);
const objectCommands = (maxStretch: number, unknowns: boolean) => fc.array(fc.record({ c: objectCommand, t: timing(maxStretch, unknowns), otherWrites: fc.nat(3) }), { minLength: 1, maxLength: 40 });

function runObject(commands: { c: ObjCommand; t: Timing; otherWrites: number }[]): ObjOp[] {
  let revision = 1;
  let current: { value: string; rv: number } | undefined;
  // resourceVersions clients have seen in answers: what an update's precondition is taken from.
  const observed: number[] = [];
  return commands.map(({ c, t, otherWrites }, i) => {
    revision += otherWrites; // other keys' writes move the revision too
    const applies = t.fate !== 'unknown-lost';
    const known = t.fate === 'known';
    const see = (rv: number): string => {
      if (known) observed.push(rv);
      return String(rv);
    };
    switch (c.kind) {
      case 'create': {
        const value = `v${i}`;
        if (current) return place(i, t, { kind: 'create', value }, { status: 'AlreadyExists' });
        if (applies) current = { value, rv: ++revision };
        return place(i, t, { kind: 'create', value }, applies ? { status: 'ok', rv: see(revision) } : { status: 'ok' });
      }
      case 'get':
        return place(i, known ? t : { ...t, fate: 'unknown-lost' }, { kind: 'get' }, current ? { status: 'ok', value: current.value, rv: see(current.rv) } : { status: 'NotFound' });
      case 'update': {
        const value = `v${i}`;
        // Revisions start above 1: a client that has seen none sends 1, which never matches.
        const wanted = c.fresh && current && observed.includes(current.rv) ? current.rv : (observed[c.pick % Math.max(1, observed.length)] ?? 1);
        const input: KubeObjectInput = { kind: 'update', value, rv: String(wanted) };
        if (!current) return place(i, t, input, { status: 'NotFound' });
        if (current.rv !== wanted) return place(i, t, input, { status: 'Conflict' });
        if (applies) current = { value, rv: ++revision };
        return place(i, t, input, { status: 'ok', rv: applies ? see(revision) : '0' });
      }
      case 'delete': {
        if (!current) return place(i, t, { kind: 'delete' }, { status: 'NotFound' });
        if (applies) {
          current = undefined;
          revision += 1;
        }
        return place(i, t, { kind: 'delete' }, { status: 'ok' });
      }
    }
  });
}

// ---- mutation: a read answers what an earlier write wrote although a later write completed before the read was called

function staleReadMutation<I, O>(ops: Op<I, O>[], isWrite: (op: Op<I, O>) => boolean, isRead: (op: Op<I, O>) => boolean, olderAnswer: (write: Op<I, O>) => O, pick: number): Op<I, O>[] | undefined {
  const triples: [Op<I, O>, Op<I, O>][] = [];
  for (const w0 of ops.filter(isWrite))
    for (const w1 of ops.filter(isWrite))
      if (w0.ret < w1.call) for (const rd of ops.filter(isRead)) if (w1.ret < rd.call) triples.push([w0, rd]);
  if (triples.length === 0) return undefined;
  const [w0, rd] = triples[pick % triples.length]!;
  return ops.map((op) => (op === rd ? { ...op, output: olderAnswer(w0) } : op));
}

const checked = <S, I, O>(ops: Op<I, O>[], model: Parameters<typeof checkKey<S, I, O>>[2]) => checkKey('x', ops, model, { maxStepsPerKey: 2_000_000 });

describe('generated histories', () => {
  it('a register run with real-time overlap and unknown outcomes is accepted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }).chain((stretch) => registerCommands(stretch, true)), (commands) => {
        const result = checked(runRegister(commands), registerModel<string>());
        if (result.verdict !== 'ok') throw new Error(formatKeyResult(result));
      }),
      { numRuns: 500 },
    );
  });

  it('a Kubernetes object run with real-time overlap and unknown outcomes is accepted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }).chain((stretch) => objectCommands(stretch, true)), (commands) => {
        const result = checked(runObject(commands), kubeObjectModel());
        if (result.verdict !== 'ok') throw new Error(formatKeyResult(result));
      }),
      { numRuns: 500 },
    );
  });

  it('a register read mutated to an older value after a later completed write is refused', () => {
    let mutated = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 150 }).chain((stretch) => registerCommands(stretch, false)), fc.nat(), (commands, pick) => {
        const ops = staleReadMutation(
          runRegister(commands),
          (op) => op.input.kind === 'write',
          (op) => op.input.kind === 'read',
          (w0) => ({ value: (w0.input as { value: string }).value }),
          pick,
        );
        fc.pre(ops !== undefined);
        mutated += 1;
        expect(checked(ops!, registerModel<string>()).verdict).toBe('illegal');
      }),
      { numRuns: 500 },
    );
    expect(mutated).toBeGreaterThan(50);
  });

  it('a Kubernetes object read mutated to an older value after a later completed write is refused', () => {
    let mutated = 0;
    // Writes of a value (a delete's "older answer", NotFound, may be what the read saw anyway).
    const isWrite = (op: ObjOp): boolean => op.output !== UNKNOWN && op.output.status === 'ok' && (op.input.kind === 'create' || op.input.kind === 'update');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 150 }).chain((stretch) => objectCommands(stretch, false)), fc.nat(), (commands, pick) => {
        const ops = staleReadMutation(
          runObject(commands),
          isWrite,
          (op) => op.input.kind === 'get',
          // The older write's value and resourceVersion.
          (w0): KubeObjectOutput => ({ status: 'ok', value: (w0.input as { value: string }).value, rv: (w0.output as { rv: string }).rv }),
          pick,
        );
        fc.pre(ops !== undefined);
        mutated += 1;
        const result = checked(ops!, kubeObjectModel());
        if (result.verdict !== 'illegal') throw new Error(`accepted:\n${ops!.map((o) => JSON.stringify(o)).join('\n')}`);
      }),
      { numRuns: 500 },
    );
    expect(mutated).toBeGreaterThan(50);
  });
});
