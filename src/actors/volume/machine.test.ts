/**
 * The claim and volume machines with fake effects: the state each observation leads to and the
 * effects (with their params) it asks for, case by case as Kubernetes' binder decides.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { stateValueToString } from '../inspection.ts';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { claimMachine } from './claim-machine.ts';
import type { ClaimFacts, VolumeFacts } from './facts.ts';
import { claim, volume } from './machine-fixtures.ts';
import { volumeMachine } from './volume-machine.ts';

const CLAIM_EFFECTS = ['bind', 'writeStatus', 'assignClass', 'annotateProvisioner', 'provisionVolume', 'recordEvent', 'addProtection', 'removeProtection'] as const;
const VOLUME_EFFECTS = ['writePhase', 'syncClaim', 'unbind', 'deleteVolume', 'recordEvent', 'addProtection', 'removeProtection'] as const;

function claimActor() {
  const fx = createEffectRecorder(CLAIM_EFFECTS);
  const actor = createActor(claimMachine.provide({ actions: fx.actions }), { input: { namespace: 'default', name: 'data', uid: 'u1' } }).start();
  const observe = (facts: ClaimFacts) => {
    fx.clear();
    actor.send({ type: 'claim.observed', facts });
    return { state: stateValueToString(actor.getSnapshot().value), calls: fx.calls.map((c) => [c.effect, c.params]) };
  };
  return { actor, observe };
}

function volumeActor() {
  const fx = createEffectRecorder(VOLUME_EFFECTS);
  const actor = createActor(volumeMachine.provide({ actions: fx.actions }), { input: { name: 'pv1', uid: 'v1' } }).start();
  const observe = (facts: VolumeFacts) => {
    fx.clear();
    actor.send({ type: 'volume.observed', facts });
    return { state: stateValueToString(actor.getSnapshot().value), calls: fx.calls.map((c) => [c.effect, c.params]) };
  };
  return { actor, observe };
}

const event = (reason: string) => expect.objectContaining({ reason });

describe('claim machine', () => {
  it('waits for its first consumer, then asks the local provisioner for a volume on the selected node, then binds it', () => {
    const { observe } = claimActor();
    const waiting = observe(claim());
    expect(waiting.state).toContain('phase.pending.waitingForFirstConsumer');
    expect(waiting.calls).toEqual([
      ['recordEvent', { type: 'Normal', reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' }],
      ['writeStatus', { phase: 'Pending' }],
    ]);
    expect(observe(claim({ unscheduledPods: ['web-0'] })).calls[0]).toEqual(['recordEvent', { type: 'Normal', reason: 'WaitForPodScheduled', message: 'waiting for pod web-0 to be scheduled' }]);

    const provisioning = observe(claim({ selectedNode: 'n1' }));
    expect(provisioning.state).toContain('phase.pending.provisioning.local');
    expect(provisioning.calls).toEqual([
      ['annotateProvisioner', { provisioner: 'kactus.io/local-path' }],
      ['recordEvent', event('ExternalProvisioning')],
      ['provisionVolume', { node: 'n1' }],
    ]);

    const binding = observe(claim({ selectedNode: 'n1', match: 'pvc-u1' }));
    expect(binding.state).toContain('phase.pending.binding');
    expect(binding.calls).toEqual([['bind', { volume: 'pvc-u1' }]]);

    const bound = observe(claim({ bindCompleted: true, volumeName: 'pvc-u1', named: 'ours', storedPhase: 'Bound' }));
    expect(bound.state).toContain('phase.bound');
    expect(bound.calls).toEqual([['bind', { volume: 'pvc-u1' }]]);
  });

  it('gets the default class when it has none, and another provisioner is waited for', () => {
    const { observe } = claimActor();
    expect(observe(claim({ className: '', classFound: false, provisioner: '', provisionerHere: false, delayBinding: false, defaultClass: 'local-path' })).calls).toEqual([
      ['assignClass', { className: 'local-path' }],
    ]);
    const external = observe(claim({ className: 'fast', provisioner: 'ebs.csi.aws.com', provisionerHere: false, delayBinding: false }));
    expect(external.state).toContain('phase.pending.provisioning.external');
    expect(external.calls.map((c) => c[0])).toEqual(['annotateProvisioner', 'recordEvent']);
  });

  it('binds a volume it names, refuses one that does not fit or is taken, and waits for one that does not exist', () => {
    const { observe } = claimActor();
    const named = { volumeName: 'pv1', className: '', classFound: false, provisioner: '', provisionerHere: false, delayBinding: false };
    expect(observe(claim({ ...named, named: 'absent' }))).toEqual({ state: expect.stringContaining('pending.volumeMissing'), calls: [['writeStatus', { phase: 'Pending' }]] });
    expect(observe(claim({ ...named, named: 'free', mismatch: 'requested PV is too small' })).calls).toEqual([
      ['recordEvent', { type: 'Warning', reason: 'VolumeMismatch', message: 'Cannot bind to requested volume "pv1": requested PV is too small' }],
      ['writeStatus', { phase: 'Pending' }],
    ]);
    expect(observe(claim({ ...named, named: 'other' })).calls[0]).toEqual([
      'recordEvent',
      { type: 'Warning', reason: 'FailedBinding', message: 'volume "pv1" already bound to a different claim.' },
    ]);
    expect(observe(claim({ ...named, named: 'free' })).calls).toEqual([['bind', { volume: 'pv1' }]]);
  });

  it('with no class and no volume says so', () => {
    const { observe } = claimActor();
    expect(observe(claim({ className: '', classFound: false, provisioner: '', provisionerHere: false, delayBinding: false })).calls).toEqual([
      ['recordEvent', { type: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' }],
      ['writeStatus', { phase: 'Pending' }],
    ]);
  });

  it('is lost when its volume goes, with one ClaimLost Event', () => {
    const { observe } = claimActor();
    const lost = observe(claim({ bindCompleted: true, volumeName: 'pv1', named: 'absent', storedPhase: 'Bound' }));
    expect(lost.state).toContain('phase.lost');
    expect(lost.calls).toEqual([
      ['recordEvent', { type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' }],
      ['writeStatus', { phase: 'Lost' }],
    ]);
    expect(observe(claim({ bindCompleted: true, volumeName: 'pv1', named: 'absent', storedPhase: 'Lost' })).calls).toEqual([['writeStatus', { phase: 'Lost' }]]);
    expect(observe(claim({ bindCompleted: true, volumeName: 'pv1', named: 'other', storedPhase: 'Bound' })).calls[0]).toEqual(['recordEvent', expect.objectContaining({ reason: 'ClaimMisbound' })]);
    // The volume came back for it: bound again.
    expect(observe(claim({ bindCompleted: true, volumeName: 'pv1', named: 'ours', storedPhase: 'Lost' })).state).toContain('phase.bound');
  });

  it('keeps its protection while a scheduled pod uses it, then lets go', () => {
    const { observe } = claimActor();
    expect(observe(claim({ protected: false })).calls).toContainEqual(['addProtection', undefined]);
    const inUse = observe(claim({ deleting: true, usedBy: 1 }));
    expect(inUse.state).toContain('protection.inUse');
    expect(inUse.calls.map((c) => c[0])).not.toContain('removeProtection');
    const releasing = observe(claim({ deleting: true, usedBy: 0 }));
    expect(releasing.state).toContain('protection.releasing');
    expect(releasing.calls).toContainEqual(['removeProtection', undefined]);
    expect(observe(claim({ deleting: true, protected: false })).state).toContain('protection.released');
  });
});

describe('volume machine', () => {
  it('is Available when unclaimed or reserved, Bound when its claim names it, and hands a binding in progress to the claim', () => {
    const { observe } = volumeActor();
    expect(observe(volume({ claim: 'none', storedPhase: 'Pending' })).calls).toEqual([['writePhase', { phase: 'Available' }]]);
    expect(observe(volume({ claim: 'reserved' })).state).toContain('phase.available');
    expect(observe(volume({ claim: 'binding' })).calls).toEqual([['syncClaim', undefined]]);
    expect(observe(volume()).calls).toEqual([['writePhase', { phase: 'Bound' }]]);
  });

  it('is Released when its claim goes: kept with Retain, deleted by the local provisioner with Delete', () => {
    const { observe } = volumeActor();
    expect(observe(volume({ claim: 'missing' }))).toEqual({ state: expect.stringContaining('phase.released.retained'), calls: [['writePhase', { phase: 'Released' }]] });
    const local = { reclaimPolicy: 'Delete', provisionedBy: 'kactus.io/local-path', deleterHere: true };
    expect(observe(volume({ claim: 'missing', ...local })).calls).toEqual([['writePhase', { phase: 'Released' }], ['deleteVolume', undefined]]);
    const removing = observe(volume({ claim: 'missing', ...local, deleting: true, storedPhase: 'Released' }));
    expect(removing.state).toContain('phase.released.removing');
    expect(removing.calls.map((c) => c[0])).not.toContain('deleteVolume');
    expect(observe(volume({ claim: 'missing', reclaimPolicy: 'Delete', provisionedBy: 'ebs.csi.aws.com' })).state).toContain('released.awaitingDeleter');
  });

  it('fails a Delete with no deleter, once, and stays Failed', () => {
    const { observe } = volumeActor();
    const failed = observe(volume({ claim: 'missing', reclaimPolicy: 'Delete', storedPhase: 'Bound' }));
    expect(failed.state).toContain('phase.failed');
    const message = 'error getting deleter volume plugin for volume "pv1": no deletable volume plugin matched';
    expect(failed.calls).toEqual([
      ['writePhase', { phase: 'Failed', message }],
      ['recordEvent', { type: 'Warning', reason: 'VolumeFailedDelete', message }],
    ]);
    expect(observe(volume({ claim: 'missing', reclaimPolicy: 'Retain', storedPhase: 'Failed' }))).toEqual({ state: expect.stringContaining('phase.failed'), calls: [] });
    expect(observe(volume({ claim: 'none', storedPhase: 'Failed' })).state).toContain('phase.available');
  });

  it('rolls back a binding the claim did not take, and deletes a provisioned spare', () => {
    const { observe } = volumeActor();
    expect(observe(volume({ claim: 'elsewhere' })).calls).toEqual([['unbind', undefined]]);
    expect(observe(volume({ claim: 'elsewhere', reclaimPolicy: 'Delete', provisionedBy: 'kactus.io/local-path', deleterHere: true })).state).toContain('released.deleting');
  });

  it('keeps its protection while Bound', () => {
    const { observe } = volumeActor();
    expect(observe(volume({ deleting: true })).state).toContain('protection.inUse');
    expect(observe(volume({ claim: 'missing', deleting: true, storedPhase: 'Released' })).calls).toContainEqual(['removeProtection', undefined]);
    expect(observe(volume({ claim: 'none', protected: false })).calls).toContainEqual(['addProtection', undefined]);
  });
});
