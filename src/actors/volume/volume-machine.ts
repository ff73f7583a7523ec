/**
 * The PersistentVolume machine: a volume's phase, its reclaim, and its protection, decided here
 * (the binder's syncVolume and reclaimVolume, the pv-protection controller, and — for volumes
 * kactus' local provisioner made — the external provisioner's deleter). Every sync of the volume
 * sends what the binder's caches show (`volume.observed {facts}`, facts.ts); two regions take it.
 *
 * ```
 * phase                                                        (status.phase)
 *   unobserved
 *   available             no claimRef, or reserved by name for a claim not yet bound: Available
 *   binding               its claim exists and names no volume yet: the claim's sync finishes (asked now)
 *   bound                 its claim names it: Bound
 *   unbinding             the binder chose it for a claim that got another volume: claimRef removed (or its uid, if a user set it)
 *   released ─ retained           the claim is gone; Retain: Released, the data stays
 *            ─ deleting           Delete, made by the local provisioner: Released, then the volume object is deleted
 *            ─ removing           …deletion asked: the node removes the directory, then its finalizer (node-daemon/storage)
 *            ─ awaitingDeleter    Delete, made by another provisioner: Released, that provisioner deletes it
 *   failed                Delete with no deleter, Recycle (no recycler), an unknown policy: Failed, with a Warning once
 *
 * protection                                                   (kubernetes.io/pv-protection)
 *   unobserved ─ protecting (add) ─ protected ─ inUse (deleting while Bound) ─ releasing (deleting, not Bound: remove) ─ released
 * ```
 *
 * A Failed volume whose claim is still gone stays Failed (Kubernetes does not overwrite it) while
 * reclaim is tried again each sync. Effects are named no-op actions, provided by the controller.
 */
import { setup } from 'xstate';
import type { VolumeFacts } from './facts.ts';
import { EVENTS, type StorageEvent } from './messages.ts';
import { protectionRegion } from './protection-region.ts';

export interface VolumeObserved {
  type: 'volume.observed';
  facts: VolumeFacts;
}

export type VolumeEvent = VolumeObserved;

export interface VolumeMachineInput {
  name: string;
  uid: string;
}

export interface VolumeContext extends VolumeMachineInput {
  facts?: VolumeFacts;
}

export type VolumePhase = 'Available' | 'Bound' | 'Released' | 'Failed';

const base = setup({
  types: { context: {} as VolumeContext, events: {} as VolumeEvent, input: {} as VolumeMachineInput },
  actions: {
    /** Writes `status.phase` (and `message`) when the phase differs. */
    writePhase: (_, _params: { phase: VolumePhase; message?: string }) => {},
    /** Queues a sync of the claim the claimRef names (it finishes the binding). */
    syncClaim: () => {},
    /** Rolls back a binding: the claimRef goes (bound by the controller) or loses its uid (pre-bound by a user). */
    unbind: () => {},
    /** Deletes the volume object (its node removes the directory first, holding its finalizer). */
    deleteVolume: () => {},
    recordEvent: (_, _params: StorageEvent) => {},
    /** Adds `kubernetes.io/pv-protection`. */
    addProtection: () => {},
    /** Removes `kubernetes.io/pv-protection`: the volume may go. */
    removeProtection: () => {},
  },
  guards: {
    unclaimed: ({ event }) => event.facts.claim === 'none' || event.facts.claim === 'reserved',
    claimBinding: ({ event }) => event.facts.claim === 'binding',
    claimBoundHere: ({ event }) => event.facts.claim === 'here',
    /** Its claim got another volume, and it is not a provisioned volume to delete: the binding is rolled back. */
    unbindable: ({ event }) => event.facts.claim === 'elsewhere' && !isSpare(event.facts),
    // From here on the volume is released (isVolumeReleased): its claim is gone, or it is a spare.
    staysFailed: ({ event }) => event.facts.storedPhase === 'Failed',
    retain: ({ event }) => event.facts.reclaimPolicy === 'Retain',
    deletionAsked: ({ event }) => event.facts.reclaimPolicy === 'Delete' && event.facts.deleterHere && event.facts.deleting,
    deleteHere: ({ event }) => event.facts.reclaimPolicy === 'Delete' && event.facts.deleterHere,
    deleteElsewhere: ({ event }) => event.facts.reclaimPolicy === 'Delete' && event.facts.provisionedBy !== '',
    noDeleter: ({ event }) => event.facts.reclaimPolicy === 'Delete',
    recycle: ({ event }) => event.facts.reclaimPolicy === 'Recycle',
    // pv-protection: a volume is in use while the store has it Bound
    deletingUnprotected: ({ event }) => event.facts.deleting && !event.facts.protected,
    deletingInUse: ({ event }) => event.facts.deleting && event.facts.storedPhase === 'Bound',
    deleting: ({ event }) => event.facts.deleting,
    unprotected: ({ event }) => !event.facts.protected,
  },
});

/** A volume provisioned for a claim that was bound to another volume, reclaimed with Delete: not needed. */
export function isSpare(f: VolumeFacts): boolean {
  return f.claim === 'elsewhere' && f.provisionedBy !== '' && f.reclaimPolicy === 'Delete';
}

const observe = base.assign({ facts: ({ event }) => event.facts });

/** Failing: the phase and its Warning, the Warning only when the stored phase changes. */
const fail = (record: (name: string) => StorageEvent) =>
  base.enqueueActions(({ context, event, enqueue }) => {
    const e = record(context.name);
    enqueue({ type: 'writePhase', params: { phase: 'Failed', message: e.message } });
    if (event.facts.storedPhase !== 'Failed') enqueue({ type: 'recordEvent', params: e });
  });

const to = (path: string) => `#volume.phase.${path}`;

/** syncVolume, then reclaimVolume for a released volume: the guards in Kubernetes' order; the first that holds names the state. */
const PHASE_OBSERVED = [
  { guard: 'unclaimed', target: to('available'), actions: observe },
  { guard: 'claimBinding', target: to('binding'), actions: observe },
  { guard: 'claimBoundHere', target: to('bound'), actions: observe },
  { guard: 'unbindable', target: to('unbinding'), actions: observe },
  // Released. Kubernetes does not overwrite a Failed phase while it tries to reclaim again.
  { guard: 'staysFailed', target: to('failed'), actions: observe },
  { guard: 'retain', target: to('released.retained'), actions: observe },
  { guard: 'deletionAsked', target: to('released.removing'), actions: observe },
  { guard: 'deleteHere', target: to('released.deleting'), actions: observe },
  { guard: 'deleteElsewhere', target: to('released.awaitingDeleter'), actions: observe },
  { guard: 'noDeleter', target: to('failed'), actions: [observe, fail(EVENTS.noDeleter)] },
  { guard: 'recycle', target: to('failed'), actions: [observe, fail(() => EVENTS.noRecycler())] },
  { target: to('failed'), actions: [observe, fail(() => EVENTS.unknownReclaimPolicy())] },
] as const;


const phase = (p: VolumePhase) => ({ type: 'writePhase' as const, params: { phase: p } });

export const volumeMachine = base.createMachine({
  id: 'volume',
  type: 'parallel',
  context: ({ input }) => ({ ...input }),
  states: {
    phase: {
      initial: 'unobserved',
      on: { 'volume.observed': PHASE_OBSERVED },
      states: {
        unobserved: {},
        available: { entry: phase('Available') },
        binding: { entry: 'syncClaim' },
        bound: { entry: phase('Bound') },
        unbinding: { entry: 'unbind' },
        released: {
          initial: 'retained',
          entry: phase('Released'),
          states: {
            retained: {},
            deleting: { entry: 'deleteVolume' },
            removing: {},
            awaitingDeleter: {},
          },
        },
        failed: {},
      },
    },
    protection: protectionRegion('volume', 'volume.observed'),
  },
});

export type VolumeMachine = typeof volumeMachine;
