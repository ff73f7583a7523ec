/**
 * The `protection` region both storage machines share: Kubernetes' pvc-protection and
 * pv-protection controllers as states. The finalizer is added to a live object that lacks it,
 * held while the object is in use, and removed once a deleted object is no longer used.
 * The guards (`deletingUnprotected`, `deletingInUse`, `deleting`, `unprotected`) and the actions
 * (`addProtection`, `removeProtection`) are each machine's own.
 */
export function protectionRegion<Id extends string, Observed extends string>(machineId: Id, observed: Observed) {
  const at = <S extends string>(state: S) => `#${machineId}.protection.${state}` as const;
  const onObserved = [
    { guard: 'deletingUnprotected', target: at('released') },
    { guard: 'deletingInUse', target: at('inUse') },
    { guard: 'deleting', target: at('releasing') },
    { guard: 'unprotected', target: at('protecting') },
    { target: at('protected') },
  ] as const;
  return {
    initial: 'unobserved',
    on: { [observed]: onObserved } as Record<Observed, typeof onObserved>,
    states: {
      unobserved: {},
      protecting: { entry: 'addProtection' },
      protected: {},
      inUse: {},
      releasing: { entry: 'removeProtection' },
      released: {},
    },
  } as const;
}
