/**
 * The node's pod workers: one pod actor per pod assigned to this node, keyed by uid.
 *
 * - `assign(pod)` starts an actor (adopting what the runtime still holds of the pod from before a
 *   daemon restart) or, for a pod with a deletionTimestamp, deletes it gracefully;
 * - `sync(uids)` tears down every pod (actor or runtime leftover) the master no longer lists;
 * - statuses, Events and terminations go to the Outbox; runtime events are dispatched by uid.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PodRuntimeActor } from '../src/actors/pod/effects.ts';
import type { PodEventRecord } from '../src/actors/pod/events.ts';
import type { ProbeRunner } from '../src/actors/pod/probe-spec.ts';
import type { JsonObject } from '../src/api/object.ts';
import type { EventRecorded, PodKey } from '../src/net/messages.ts';
import type { Outbox } from './outbox.ts';
import { podDir, readNodePod, type NodePod } from './pod-spec.ts';
import { createProbeRunner } from './probes/runner.ts';
import type { ContainerRuntime, ContainerSpec, HostVolume, RuntimeEvent, RuntimePod, SandboxOptions } from '../src/runtime/types.ts';

/** What the node's pod network gives each pod (node-daemon/network/node-network.ts). */
export interface PodNetworkProvider {
  /**
   * Resolves once the node's pod network is ready: where the pod's sandbox goes and the text of its
   * /etc/resolv.conf (bind-mounted into every container, as the kubelet does).
   */
  settingsFor(pod: JsonObject): Promise<{ sandbox: SandboxOptions; resolvConf: string }>;
  /** The pod's sandbox is on the network (hairpin mode for its port). */
  sandboxCreated(): Promise<void>;
}

/** The pod's resolv.conf, a volume only the daemon names (a user volume cannot: names are DNS labels). */
const RESOLV_CONF_VOLUME = 'kactus:resolv.conf';

/** Thrown by volume preparation for a source this node cannot provide. */
export class UnsupportedVolumeError extends Error {
  constructor(
    readonly volume: string,
    readonly source: string,
  ) {
    super(`volume "${volume}": ${source} volumes are not supported on this node`);
    this.name = 'UnsupportedVolumeError';
  }
}

export interface PodWorkersOptions {
  runtime: ContainerRuntime;
  dataDir: string;
  nodeName: string;
  hostIP: string;
  outbox: Outbox;
  /** The node's pod network; without one, sandboxes go on the runtime's default network. */
  network?: PodNetworkProvider;
  onError(err: unknown): void;
  /** Runs container probes; default: the node's runners on `runtime` (probes/runner.ts). */
  probe?: ProbeRunner;
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

export class PodWorkers {
  private readonly workers = new Map<string, { key: PodKey; actor: PodRuntimeActor }>();
  /** Pods the runtime held when the daemon started, not yet re-assigned (uid → pod). */
  private readonly leftovers = new Map<string, RuntimePod>();
  private readonly unsubscribe: () => void;
  private readonly probe: ProbeRunner;

  constructor(private readonly opts: PodWorkersOptions) {
    this.unsubscribe = opts.runtime.onEvent((e) => this.onRuntimeEvent(e));
    this.probe = opts.probe ?? createProbeRunner(opts.runtime);
  }

  /** Remember what the runtime holds from a previous daemon, to adopt when the master re-assigns it. */
  async loadLeftovers(): Promise<void> {
    for (const pod of await this.opts.runtime.listPods()) this.leftovers.set(pod.podUid, pod);
  }

  get size(): number {
    return this.workers.size;
  }

  /** The runtime id of a container of pod `uid` (for logs), or undefined. */
  containerId(uid: string, name: string, previous = false): string | undefined {
    return this.workers.get(uid)?.actor.containerId(name, previous);
  }

  /**
   * The runtime id for a log request: the instance the pod's status names (`runtime://id`) when
   * this node still holds it, else the live one or (with `previous`) the one it replaced.
   */
  logContainerId(uid: string, name: string, previous: boolean, containerID: string | undefined): string | undefined {
    const actor = this.workers.get(uid)?.actor;
    const named = containerID?.slice(containerID.indexOf('://') + 3);
    if (actor && named && actor.holdsContainer(name, named)) return named;
    return actor?.containerId(name, previous);
  }

  /** The sandbox of pod `uid` on this node and its IP (for port-forward), or undefined. */
  sandbox(uid: string): { id: string; ip?: string } | undefined {
    return this.workers.get(uid)?.actor.sandbox;
  }

  /** The latest version of a pod bound to this node. */
  assign(obj: JsonObject): void {
    const pod = readNodePod(obj, this.opts.dataDir);
    if (pod.input.nodeName !== this.opts.nodeName || pod.ref.uid === '') return;
    const key: PodKey = { namespace: pod.ref.namespace, name: pod.ref.name, uid: pod.ref.uid };
    const live = this.workers.get(key.uid);
    if (live) {
      if (pod.deletion) live.actor.delete(pod.deletion.graceSeconds);
      return;
    }
    const leftover = this.leftovers.get(key.uid);
    this.leftovers.delete(key.uid);
    if (!leftover && (pod.deletion || TERMINAL_PHASES.has(pod.storedPhase ?? ''))) {
      // Nothing of it runs here: a deleted pod is done, a finished one is not run again.
      if (pod.deletion) this.opts.outbox.podTerminated(key);
      return;
    }
    const actor = this.spawn(key, pod, obj, leftover);
    this.workers.set(key.uid, { key, actor });
    actor.start();
    if (pod.deletion) actor.delete(pod.deletion.graceSeconds);
  }

  /** Every pod that should exist here: tear down the others (containers removed, no grace). */
  async sync(uids: string[]): Promise<void> {
    const wanted = new Set(uids);
    const teardowns: Promise<void>[] = [];
    for (const [uid, { actor }] of this.workers) {
      if (wanted.has(uid)) continue;
      this.workers.delete(uid);
      this.opts.outbox.forget(uid);
      teardowns.push(actor.teardown());
    }
    for (const [uid, pod] of this.leftovers) {
      if (wanted.has(uid)) continue;
      this.leftovers.delete(uid);
      teardowns.push(this.removeLeftover(pod));
    }
    await Promise.all(teardowns);
  }

  /** Stop every actor; with `keepContainers` the runtime's pods stay for the next daemon to adopt. */
  async close(keepContainers: boolean): Promise<void> {
    this.unsubscribe();
    const actors = [...this.workers.values()].map((w) => w.actor);
    this.workers.clear();
    if (keepContainers) {
      for (const actor of actors) actor.stop();
      return;
    }
    await Promise.all([...actors.map((a) => a.teardown()), ...[...this.leftovers.values()].map((p) => this.removeLeftover(p))]);
    this.leftovers.clear();
  }

  private spawn(key: PodKey, pod: NodePod, obj: JsonObject, adopted: RuntimePod | undefined): PodRuntimeActor {
    const { runtime, dataDir, outbox, onError, network } = this.opts;
    const volumes: HostVolume[] = pod.volumes.flatMap((v) => (v.kind === 'unsupported' ? [] : [{ name: v.name, hostPath: v.hostPath }]));
    let specs: ReadonlyMap<string, ContainerSpec> = pod.specs;
    const resolvConf = join(podDir(dataDir, key.uid), 'resolv.conf');
    let settings: Promise<{ sandbox: SandboxOptions; resolvConf: string }> | undefined;
    if (network) {
      volumes.push({ name: RESOLV_CONF_VOLUME, hostPath: resolvConf });
      const mount = { name: RESOLV_CONF_VOLUME, mountPath: '/etc/resolv.conf', readOnly: true };
      specs = new Map([...pod.specs].map(([name, spec]) => [name, { ...spec, volumeMounts: [...(spec.volumeMounts ?? []), mount] }]));
    }
    return new PodRuntimeActor(pod.input, {
      runtime,
      pod: pod.ref,
      specs,
      volumes,
      ...(adopted ? { adopted } : {}),
      hostIP: this.opts.hostIP,
      probe: this.probe,
      prepareVolumes: async () => {
        for (const v of pod.volumes) {
          if (v.kind === 'unsupported') throw new UnsupportedVolumeError(v.name, v.source);
          if (v.kind === 'emptyDir') await mkdir(v.hostPath, { recursive: true, mode: 0o777 });
        }
        if (network) {
          settings ??= network.settingsFor(obj);
          await mkdir(podDir(dataDir, key.uid), { recursive: true });
          await writeFile(resolvConf, (await settings).resolvConf, { mode: 0o644 });
        }
      },
      ...(network
        ? { sandboxOptions: async () => (await (settings ??= network.settingsFor(obj))).sandbox, onSandboxCreated: () => network.sandboxCreated() }
        : {}),
      removeVolumes: () => rm(podDir(dataDir, key.uid), { recursive: true, force: true }),
      onEvent: (record) => outbox.event(this.eventOf(key, record)),
      onStatus: (status) => outbox.status(key, status),
      onRemoved: () => {
        this.workers.delete(key.uid);
        outbox.podTerminated(key);
      },
      onError,
    });
  }

  private eventOf(key: PodKey, record: PodEventRecord): EventRecorded {
    return {
      involvedObject: {
        kind: 'Pod',
        apiVersion: 'v1',
        namespace: key.namespace,
        name: key.name,
        uid: key.uid,
        ...(record.container === undefined ? {} : { fieldPath: `spec.${record.init ? 'initContainers' : 'containers'}{${record.container}}` }),
      },
      type: record.type,
      reason: record.reason,
      message: record.message,
      time: new Date().toISOString(),
      source: 'kubelet',
    };
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    this.workers.get(event.podUid)?.actor.handleRuntimeEvent(event);
  }

  private async removeLeftover(pod: RuntimePod): Promise<void> {
    const { runtime } = this.opts;
    try {
      for (const c of pod.containers) await runtime.removeContainer(c.id);
      if (pod.sandboxId !== undefined) await runtime.removeSandbox(pod.sandboxId);
      await rm(podDir(this.opts.dataDir, pod.podUid), { recursive: true, force: true });
    } catch (err) {
      this.opts.onError(err);
    }
  }
}
