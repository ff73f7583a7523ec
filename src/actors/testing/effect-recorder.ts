/**
 * A fake effect layer for machine tests: every named action it is given records its params, in
 * order, so a test can assert exactly which effects a transition asked for (the
 * `FakePodControl` habit: count the fake's calls).
 */

/** One effect call: the action's name and the params it was given. */
export interface EffectCall<TName extends string = string> {
  effect: TName;
  params: unknown;
}

export interface EffectRecorder<TName extends string> {
  /** Every call so far, oldest first. */
  readonly calls: EffectCall<TName>[];
  /** Action implementations for `machine.provide({ actions })`. */
  readonly actions: Record<TName, (args: unknown, params: unknown) => void>;
  /** The params of every call to `effect`, oldest first. */
  paramsOf(effect: TName): unknown[];
  /** Forgets the calls so far (to assert on what one step does). */
  clear(): void;
}

/** A recorder implementing the named effects `names`. */
export function createEffectRecorder<TName extends string>(names: readonly TName[]): EffectRecorder<TName> {
  const calls: EffectCall<TName>[] = [];
  const actions = Object.fromEntries(
    names.map((name) => [name, (_args: unknown, params: unknown) => void calls.push({ effect: name, params })]),
  ) as Record<TName, (args: unknown, params: unknown) => void>;
  return {
    calls,
    actions,
    paramsOf: (effect) => calls.filter((c) => c.effect === effect).map((c) => c.params),
    clear: () => void calls.splice(0, calls.length),
  };
}
