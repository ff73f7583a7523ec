/**
 * The PersistentVolumeClaim machine: a claim's binding and its protection, decided here (the
 * binder's syncClaim and the pvc-protection controller of Kubernetes). Every sync of the claim
 * sends what the binder's caches show (`claim.observed {facts}`, facts.ts); two regions each take
 * it, and guards choose the state whose entry is the effect.
 *
 * ```
 * phase                                                        (status.phase)
 *   unobserved
 *   pending ─ binding                bind the matched / named volume (PV claimRef, PV Bound, claim volumeName + annotations, claim Bound)
 *           ─ assigningClass         a claim with no class gets the default class (Kubernetes' retroactive default)
 *           ─ waitingForFirstConsumer WaitForFirstConsumer / WaitForPodScheduled; Pending
 *           ─ provisioning.external  storage-provisioner annotations; ExternalProvisioning (another provisioner makes the volume)
 *           ─ provisioning.local     the same, then this controller's local provisioner makes the volume on the selected node
 *           ─ provisioning.unplaced  a local-path claim with no node: ProvisioningFailed
 *           ─ classMissing           ProvisioningFailed: the class does not exist
 *           ─ waitingForVolume       no class, no volume: FailedBinding; Pending
 *           ─ volumeMissing          the named volume does not exist (yet); Pending
 *           ─ volumeMismatch         the named volume does not fit: VolumeMismatch; Pending
 *           ─ volumeTaken            the named volume is another claim's: FailedBinding; Pending
 *   bound                            bind again (no write when all is set): Bound
 *   lost                             ClaimLost / ClaimMisbound (once, when the phase changes); Lost
 *
 * protection                                                   (kubernetes.io/pvc-protection)
 *   unobserved ─ protecting (add the finalizer) ─ protected ─ inUse (deleting, a scheduled pod uses it)
 *              ─ releasing (deleting, unused: remove it) ─ released (deleting, no finalizer left)
 * ```
 *
 * The guards follow syncUnboundClaim / syncBoundClaim in their order. A claim's phase region
 * re-enters its state on every observation, so effects repeat each sync as Kubernetes' do (the
 * controller writes only what differs; Events aggregate). Effects are named no-op actions here,
 * provided by the controller (`claimMachine.provide`); the machine is pure and tested with fakes.
 */
import { setup } from 'xstate';
import type { ClaimFacts } from './facts.ts';
import { EVENTS, type StorageEvent } from './messages.ts';
import { protectionRegion } from './protection-region.ts';

export interface ClaimObserved {
  type: 'claim.observed';
  facts: ClaimFacts;
}

export type ClaimEvent = ClaimObserved;

export interface ClaimMachineInput {
  namespace: string;
  name: string;
  uid: string;
}

export interface ClaimContext extends ClaimMachineInput {
  /** The last observation's facts (undefined before the first). */
  facts?: ClaimFacts;
}

/** The claim's status phase the binder writes outside binding. */
export type ClaimStatusPhase = 'Pending' | 'Lost';

const facts = ({ context }: { context: ClaimContext }): ClaimFacts => context.facts as ClaimFacts;
const fromEvent = ({ event }: { event: ClaimEvent }): ClaimFacts => event.facts;

const base = setup({
  types: { context: {} as ClaimContext, events: {} as ClaimEvent, input: {} as ClaimMachineInput },
  actions: {
    /** Binds the claim to `volume`: the volume first (claimRef, Bound), then the claim (volumeName, annotations, Bound). */
    bind: (_, _params: { volume: string }) => {},
    /** Writes the claim's status phase (no access modes or capacity) when it differs. */
    writeStatus: (_, _params: { phase: ClaimStatusPhase }) => {},
    /** Sets `spec.storageClassName` of a claim that has none. */
    assignClass: (_, _params: { className: string }) => {},
    /** Sets the storage-provisioner annotations: the provisioner is asked to make the claim's volume. */
    annotateProvisioner: (_, _params: { provisioner: string }) => {},
    /** The local provisioner makes the claim's volume (a directory on `node`), unless it exists. */
    provisionVolume: (_, _params: { node: string }) => {},
    recordEvent: (_, _params: StorageEvent) => {},
    /** Adds `kubernetes.io/pvc-protection`. */
    addProtection: () => {},
    /** Removes `kubernetes.io/pvc-protection`: the claim may go. */
    removeProtection: () => {},
  },
  guards: {
    // syncBoundClaim (the claim was bound: bind-completed)
    lostReference: ({ event }) => event.facts.bindCompleted && event.facts.volumeName === '',
    lostVolume: ({ event }) => event.facts.bindCompleted && event.facts.named === 'absent',
    misbound: ({ event }) => event.facts.bindCompleted && event.facts.named === 'other',
    bindCompleted: ({ event }) => event.facts.bindCompleted,
    // syncUnboundClaim with spec.volumeName
    namedVolumeAbsent: ({ event }) => event.facts.named === 'absent',
    namedVolumeMismatch: ({ event }) => event.facts.named === 'free' && event.facts.mismatch !== undefined,
    namedVolumeBindable: ({ event }) => event.facts.named === 'free' || event.facts.named === 'ours',
    namedVolumeTaken: ({ event }) => event.facts.named === 'other',
    // syncUnboundClaim without
    matchFound: ({ event }) => event.facts.match !== undefined,
    needsDefaultClass: ({ event }) => event.facts.defaultClass !== undefined,
    waitsForFirstConsumer: ({ event }) => event.facts.delayBinding && event.facts.selectedNode === undefined,
    classMissing: ({ event }) => event.facts.className !== '' && !event.facts.classFound,
    provisionsHereOnNode: ({ event }) => event.facts.provisionerHere && event.facts.selectedNode !== undefined,
    provisionsHere: ({ event }) => event.facts.provisionerHere,
    hasClass: ({ event }) => event.facts.className !== '',
    // pvc-protection
    deletingUnprotected: ({ event }) => event.facts.deleting && !event.facts.protected,
    deletingInUse: ({ event }) => event.facts.deleting && event.facts.usedBy > 0,
    deleting: ({ event }) => event.facts.deleting,
    unprotected: ({ event }) => !event.facts.protected,
  },
});

const observe = base.assign({ facts: fromEvent });

/** Losing the claim: its Event only when the stored phase changes (updateClaimStatusWithEvent). */
const lose = (record: () => StorageEvent) =>
  base.enqueueActions(({ event, enqueue }) => {
    if (event.facts.storedPhase !== 'Lost') enqueue({ type: 'recordEvent', params: record() });
  });

const to = (path: string) => `#claim.phase.${path}`;

/** syncClaim: the guards in Kubernetes' order; the first that holds names the state. */
const PHASE_OBSERVED = [
  { guard: 'lostReference', target: to('lost'), actions: [observe, lose(EVENTS.claimLostReference)] },
  { guard: 'lostVolume', target: to('lost'), actions: [observe, lose(EVENTS.claimLostVolume)] },
  { guard: 'misbound', target: to('lost'), actions: [observe, lose(EVENTS.claimMisbound)] },
  { guard: 'bindCompleted', target: to('bound'), actions: observe },
  { guard: 'namedVolumeAbsent', target: to('pending.volumeMissing'), actions: observe },
  { guard: 'namedVolumeMismatch', target: to('pending.volumeMismatch'), actions: observe },
  { guard: 'namedVolumeBindable', target: to('pending.binding'), actions: observe },
  { guard: 'namedVolumeTaken', target: to('pending.volumeTaken'), actions: observe },
  { guard: 'matchFound', target: to('pending.binding'), actions: observe },
  { guard: 'needsDefaultClass', target: to('pending.assigningClass'), actions: observe },
  { guard: 'waitsForFirstConsumer', target: to('pending.waitingForFirstConsumer'), actions: observe },
  { guard: 'classMissing', target: to('pending.classMissing'), actions: observe },
  { guard: 'provisionsHereOnNode', target: to('pending.provisioning.local'), actions: observe },
  { guard: 'provisionsHere', target: to('pending.provisioning.unplaced'), actions: observe },
  { guard: 'hasClass', target: to('pending.provisioning.external'), actions: observe },
  { target: to('pending.waitingForVolume'), actions: observe },
] as const;


const status = (phase: ClaimStatusPhase) => ({ type: 'writeStatus' as const, params: { phase } });
const record = (event: (f: ClaimFacts) => StorageEvent) => ({ type: 'recordEvent' as const, params: ({ context }: { context: ClaimContext }) => event(facts({ context })) });
const askProvisioner = { type: 'annotateProvisioner' as const, params: ({ context }: { context: ClaimContext }) => ({ provisioner: facts({ context }).provisioner }) };

export const claimMachine = base.createMachine({
  id: 'claim',
  type: 'parallel',
  context: ({ input }) => ({ ...input }),
  states: {
    phase: {
      initial: 'unobserved',
      on: { 'claim.observed': PHASE_OBSERVED },
      states: {
        unobserved: {},
        pending: {
          initial: 'waitingForVolume',
          states: {
            binding: {
              entry: { type: 'bind', params: ({ context }) => ({ volume: facts({ context }).match ?? facts({ context }).volumeName }) },
            },
            assigningClass: {
              entry: { type: 'assignClass', params: ({ context }) => ({ className: facts({ context }).defaultClass ?? '' }) },
            },
            waitingForFirstConsumer: {
              entry: [record((f) => (f.unscheduledPods.length > 0 ? EVENTS.waitForPodScheduled(f.unscheduledPods) : EVENTS.waitForFirstConsumer())), status('Pending')],
            },
            provisioning: {
              initial: 'external',
              entry: [askProvisioner, record((f) => EVENTS.externalProvisioning(f.provisioner))],
              states: {
                external: {},
                local: {
                  entry: { type: 'provisionVolume', params: ({ context }) => ({ node: facts({ context }).selectedNode ?? '' }) },
                },
                unplaced: {
                  entry: record((f) => EVENTS.noNodeSelected(f.className)),
                },
              },
            },
            classMissing: {
              entry: record((f) => EVENTS.classNotFound(f.className)),
            },
            waitingForVolume: {
              entry: [record(() => EVENTS.noVolumeNoClass()), status('Pending')],
            },
            volumeMissing: {
              entry: status('Pending'),
            },
            volumeMismatch: {
              entry: [record((f) => EVENTS.volumeMismatch(f.volumeName, f.mismatch ?? '')), status('Pending')],
            },
            volumeTaken: {
              entry: [record((f) => EVENTS.volumeTaken(f.volumeName)), status('Pending')],
            },
          },
        },
        bound: {
          entry: { type: 'bind', params: ({ context }) => ({ volume: facts({ context }).volumeName }) },
        },
        lost: {
          entry: status('Lost'),
        },
      },
    },
    protection: protectionRegion('claim', 'claim.observed'),
  },
});

export type ClaimMachine = typeof claimMachine;
