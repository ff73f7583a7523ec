/** Facts for the claim and volume machine tests: a baseline and what each case changes. */
import type { ClaimFacts, VolumeFacts } from './facts.ts';

/** A new claim of class `local-path` (WaitForFirstConsumer, provisioned here), nothing scheduled yet. */
export function claim(overrides: Partial<ClaimFacts> = {}): ClaimFacts {
  return {
    bindCompleted: false,
    volumeName: '',
    named: 'none',
    className: 'local-path',
    classFound: true,
    provisioner: 'kactus.io/local-path',
    provisionerHere: true,
    delayBinding: true,
    provisionerAnnotated: false,
    storedPhase: 'Pending',
    unscheduledPods: [],
    usedBy: 0,
    deleting: false,
    protected: true,
    ...overrides,
  };
}

/** A volume bound to its claim (Bound in the store), made by hand, Retain. */
export function volume(overrides: Partial<VolumeFacts> = {}): VolumeFacts {
  return {
    claim: 'here',
    reclaimPolicy: 'Retain',
    provisionedBy: '',
    deleterHere: false,
    boundByController: true,
    storedPhase: 'Bound',
    deleting: false,
    protected: true,
    ...overrides,
  };
}
