/**
 * The Service machine: which case a Service is in for its endpoints, and so what the controller
 * must do on every sync. One actor per Service (controller.ts); every sync sends what the stored
 * Service says (`service.synced`), its deletion sends `service.deleted`.
 *
 * States:
 * - `pending`: spawned, not yet synced.
 * - `selecting` (`virtualIP` | `headless`): the Service has a selector, so its endpoints are
 *   managed: every sync reconciles the EndpointSlices and the Endpoints from the selected pods
 *   (headless ones labelled `service.kubernetes.io/headless`).
 * - `selectorless`: no selector, the user writes the Endpoints; every sync mirrors them into
 *   slices (Kubernetes' endpointslicemirroring controller).
 * - `externalName`: a DNS alias, no endpoints at all.
 * - `deleted`: the Service is gone; its Endpoints are deleted (its slices too, which the garbage
 *   collector would also remove through their ownerReference).
 *
 * Every sync is level-triggered: besides its own work, each state removes the slices the other
 * states would have made (a selector removed deletes the managed slices, a selector added
 * deletes the mirrored ones, ExternalName deletes both), so a failed or missed sync is repaired
 * by the next one. Effects are named actions the controller provides with `.provide()`; they
 * are no-ops when there is nothing to do. Pure: no clock, no I/O.
 */
import { setup } from 'xstate';
import { MIRRORING_CONTROLLER, SLICE_CONTROLLER, type SliceManager } from './names.ts';

/** What the stored Service says, as far as its endpoints are concerned. */
export interface ServiceFacts {
  /** `spec.selector` has at least one label. */
  selector: boolean;
  /** `spec.type: ExternalName`. */
  externalName: boolean;
  /** `spec.clusterIP: None`. */
  headless: boolean;
}

export type ServiceMachineEvent = ({ type: 'service.synced' } & ServiceFacts) | { type: 'service.deleted' };

export interface ServiceMachineInput {
  namespace: string;
  name: string;
  uid: string;
}

export interface ServiceMachineContext extends ServiceMachineInput {
  /** The facts of the last sync (undefined before the first). */
  facts?: ServiceFacts;
}

const base = setup({
  types: {
    context: {} as ServiceMachineContext,
    events: {} as ServiceMachineEvent,
    input: {} as ServiceMachineInput,
  },
  actions: {
    /** EndpointSlices (managed-by endpointslice-controller.k8s.io) and Endpoints from the selected pods. */
    reconcileEndpoints: (_, _params: { headless: boolean }) => {},
    /** Slices (managed-by endpointslicemirroring-controller.k8s.io) from the user's Endpoints. */
    mirrorEndpoints: () => {},
    /** Deletes this Service's slices of one manager (nothing when there are none). */
    deleteSlices: (_, _params: { managedBy: SliceManager }) => {},
    /** Deletes the Endpoints of the same name (the Service is gone). */
    deleteEndpoints: () => {},
  },
  guards: {
    isExternalName: ({ event }) => event.type === 'service.synced' && event.externalName,
    selectsHeadless: ({ event }) => event.type === 'service.synced' && event.selector && event.headless,
    selects: ({ event }) => event.type === 'service.synced' && event.selector,
  },
});

const remember = base.assign(({ event }) =>
  event.type === 'service.synced' ? { facts: { selector: event.selector, externalName: event.externalName, headless: event.headless } } : {},
);
const deleteSlices = (managedBy: SliceManager) => ({ type: 'deleteSlices' as const, params: { managedBy } });
const reconcile = (headless: boolean) => ({ type: 'reconcileEndpoints' as const, params: { headless } });

/** A sync, from any live state: the guards pick the case, the case picks the effects. */
const SYNCED = [
  { guard: 'isExternalName', target: '#service.externalName', actions: [remember, deleteSlices(SLICE_CONTROLLER), deleteSlices(MIRRORING_CONTROLLER)] },
  { guard: 'selectsHeadless', target: '#service.selecting.headless', actions: [remember, reconcile(true), deleteSlices(MIRRORING_CONTROLLER)] },
  { guard: 'selects', target: '#service.selecting.virtualIP', actions: [remember, reconcile(false), deleteSlices(MIRRORING_CONTROLLER)] },
  { target: '#service.selectorless', actions: [remember, 'mirrorEndpoints', deleteSlices(SLICE_CONTROLLER)] },
] as const;

const DELETION_EFFECTS = ['deleteEndpoints', deleteSlices(SLICE_CONTROLLER), deleteSlices(MIRRORING_CONTROLLER)] as const;

const LIVE = {
  'service.synced': SYNCED,
  'service.deleted': { target: '#service.deleted', actions: DELETION_EFFECTS },
} as const;

/** The Service machine. Effects: reconcileEndpoints, mirrorEndpoints, deleteSlices, deleteEndpoints. */
export const serviceMachine = base.createMachine({
  id: 'service',
  context: ({ input }) => ({ ...input }),
  initial: 'pending',
  states: {
    pending: { on: LIVE },
    selecting: {
      initial: 'virtualIP',
      on: LIVE,
      states: { virtualIP: {}, headless: {} },
    },
    selectorless: { on: LIVE },
    externalName: { on: LIVE },
    // Deletion is retried by sending it again until its effects succeed; a late sync changes nothing.
    deleted: { on: { 'service.deleted': { actions: DELETION_EFFECTS } } },
  },
});

export type ServiceMachine = typeof serviceMachine;

/** The facts of a stored Service (what `service.synced` carries). */
export function serviceFacts(service: { spec?: { selector?: Record<string, string>; type?: string; clusterIP?: string } }): ServiceFacts {
  const spec = service.spec ?? {};
  return {
    selector: Object.keys(spec.selector ?? {}).length > 0,
    externalName: spec.type === 'ExternalName',
    headless: spec.clusterIP === 'None',
  };
}
