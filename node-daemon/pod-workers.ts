/**
 * The node's pod workers: one pod actor per pod assigned to this node, keyed by uid.
 *
 * - `assign(pod)` starts an actor (adopting what the runtime still holds of the pod from before a
 *   daemon restart) or, for a pod with a deletionTimestamp, deletes it gracefully;
 * - a pod the master has as Succeeded/Failed while its actor here still runs it (failed while this
 *   node was away) has its actor stood down and its containers stopped, kept until it is deleted;
 * - `sync(uids)` tears down every pod (actor or runtime leftover) the master no longer lists;
 * - statuses, Events and terminations go to the Outbox; runtime events are dispatched by uid;
 * - volumes and containers' configurations come from PodConfigs (the volume manager, env
 *   resolution): set up when the pod machine asks, refreshed by `refreshVolumes` (content
 *   volumes follow their sources; a failure is a FailedMount Event, once per new message), and
 *   `sourcesChanged` wakes pods waiting on a ConfigMap, Secret or claim.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PodRuntimeActor } from '../src/actors/pod/effects.ts';
import type { ActorIdentity, InspectionBus } from '../src/actors/inspection.ts';
import type { PodEventRecord } from '../src/actors/pod/events.ts';
import type { ProbeRunner } from '../src/actors/pod/probe-spec.ts';
import type { JsonObject } from '../src/api/object.ts';
import type { EventRecorded, PodKey } from '../src/net/messages.ts';
import type { Outbox } from './outbox.ts';
import { podDir, readNodePod, type NodePod } from './pod-spec.ts';
import { PodConfigs } from './pod-configs.ts';
import { VolumeManager } from './volumes/volume-manager.ts';
import { createProbeRunner } from './probes/runner.ts';
import { stopRuntimePod } from './runtime/stop-pods.ts';
import type { ContainerRuntime, ContainerSpec, HostVolume, RuntimeEvent, RuntimePod, SandboxOptions, VolumeMount } from '../src/runtime/types.ts';

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
  /** Where the pod actors (and their container and probe actors) publish their transitions. */
  bus?: InspectionBus;
  /**
   * Volumes and containers' configurations (volume manager, env). Default: a volume manager
   * with no view of the cluster (ConfigMap, Secret and claim volumes wait; no service variables).
   */
  configs?: PodConfigs;
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

function labelsOf(obj: JsonObject): Record<string, string> | undefined {
  const labels = (obj.metadata as { labels?: unknown } | undefined)?.labels;
  return typeof labels === 'object' && labels !== null ? (labels as Record<string, string>) : undefined;
}

export class PodWorkers {
  private readonly workers = new Map<string, { key: PodKey; actor: PodRuntimeActor; identity: ActorIdentity }>();
  /** Pods whose actor stood down because the master has them finished (uids). */
  private readonly stoodDown = new Set<string>();
  /** Pods the runtime held when the daemon started, not yet re-assigned (uid → pod). */
  private readonly leftovers = new Map<string, RuntimePod>();
  private readonly unsubscribe: () => void;
  private readonly probe: ProbeRunner;
  private readonly configs: PodConfigs;

  constructor(private readonly opts: PodWorkersOptions) {
    this.unsubscribe = opts.runtime.onEvent((e) => this.onRuntimeEvent(e));
    this.probe = opts.probe ?? createProbeRunner(opts.runtime);
    const writeFiles = opts.runtime.name !== 'hollow';
    this.configs =
      opts.configs ??
      new PodConfigs({
        dataDir: opts.dataDir,
        hostIP: opts.hostIP,
        allocatable: {},
        writeFiles,
        volumes: new VolumeManager({ dataDir: opts.dataDir, node: () => ({ name: opts.nodeName, labels: { 'kubernetes.io/hostname': opts.nodeName } }), allocatable: {}, writeContents: writeFiles }),
      });
  }

  /** Re-project every running pod's content volumes (the daemon calls it every sync period). */
  refreshVolumes(): Promise<void> {
    return this.configs.refreshAll((uid, failure) => {
      const key = this.workers.get(uid)?.key;
      if (key) this.opts.outbox.event(this.eventOf(key, { type: 'Warning', reason: 'FailedMount', message: failure.message }));
    });
  }

  /** A ConfigMap, Secret, claim or PersistentVolume changed: pods waiting on one try again. */
  sourcesChanged(): void {
    for (const { actor } of this.workers.values()) actor.sourcesChanged();
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
    if (actor) return actor.containerId(name, previous);
    // A finished pod left by a previous daemon is not adopted, but its containers (and logs) stay.
    const kept = this.leftovers.get(uid)?.containers.filter((c) => c.name === name) ?? [];
    return kept.find((c) => c.id === named)?.id ?? (previous ? undefined : kept[0]?.id);
  }

  /** The sandbox of pod `uid` on this node and its IP (for port-forward), or undefined. */
  sandbox(uid: string): { id: string; ip?: string } | undefined {
    return this.workers.get(uid)?.actor.sandbox;
  }

  /** The latest version of a pod bound to this node. */
  assign(obj: JsonObject): void {
    const pod = readNodePod(obj);
    if (pod.input.nodeName !== this.opts.nodeName || pod.ref.uid === '') return;
    const key: PodKey = { namespace: pod.ref.namespace, name: pod.ref.name, uid: pod.ref.uid };
    const live = this.workers.get(key.uid);
    const finished = TERMINAL_PHASES.has(pod.storedPhase ?? '');
    if (live) {
      // The stream carries the pod's labels as they are now (downwardAPI volumes follow them).
      live.identity.labels = labelsOf(obj);
      this.configs.track(key.uid, obj);
      if (pod.deletion) live.actor.delete(pod.deletion.graceSeconds);
      else if (finished) this.standDown(key.uid, live.actor, pod.input.terminationGracePeriodSeconds);
      return;
    }
    const leftover = this.leftovers.get(key.uid);
    if (leftover && finished && !pod.deletion) {
      // Finished while this daemon was down: its containers stop, and stay until pods.sync removes them.
      void this.stopContainers(leftover, pod.input.terminationGracePeriodSeconds);
      return;
    }
    this.leftovers.delete(key.uid);
    if (!leftover && (pod.deletion || finished)) {
      // Nothing of it runs here: a deleted pod is done, a finished one is not run again.
      if (pod.deletion) this.opts.outbox.podTerminated(key);
      return;
    }
    const identity: ActorIdentity = { kind: 'Pod', namespace: key.namespace, name: key.name, uid: key.uid, labels: labelsOf(obj) };
    this.configs.track(key.uid, obj);
    const actor = this.spawn(key, pod, obj, leftover, identity);
    this.workers.set(key.uid, { key, actor, identity });
    actor.start();
    if (pod.deletion) actor.delete(pod.deletion.graceSeconds);
  }

  /**
   * The node fenced itself (no master counted it alive for its self-fence period): every pod
   * actor is told (its machine fails the pod, NodeLost, and kills its containers), then whatever
   * still runs on the runtime — leftovers not adopted yet, a container started meanwhile — is
   * killed too (grace 0). Resolves once the runtime's containers were told to stop.
   */
  async fence(message: string): Promise<void> {
    for (const { actor } of this.workers.values()) actor.fence(message);
    const held = await this.opts.runtime.listPods().catch((err: unknown) => {
      this.opts.onError(err);
      return [];
    });
    await Promise.all(held.map((pod) => this.stopContainers(pod, 0)));
  }

  /** Every pod that should exist here: tear down the others (containers removed, no grace). */
  async sync(uids: string[]): Promise<void> {
    const wanted = new Set(uids);
    const teardowns: Promise<void>[] = [];
    for (const [uid, { actor }] of this.workers) {
      if (wanted.has(uid)) continue;
      this.workers.delete(uid);
      this.stoodDown.delete(uid);
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

  private spawn(key: PodKey, pod: NodePod, obj: JsonObject, adopted: RuntimePod | undefined, identity: ActorIdentity): PodRuntimeActor {
    const { runtime, dataDir, outbox, onError, network } = this.opts;
    // The node's own files in every container: /etc/resolv.conf with a pod network.
    const resolvConf = join(podDir(dataDir, key.uid), 'resolv.conf');
    const extra: { mounts: VolumeMount[]; volumes: HostVolume[] } = network
      ? { mounts: [{ name: RESOLV_CONF_VOLUME, mountPath: '/etc/resolv.conf', readOnly: true }], volumes: [{ name: RESOLV_CONF_VOLUME, hostPath: resolvConf }] }
      : { mounts: [], volumes: [] };
    const specs: ReadonlyMap<string, ContainerSpec> = new Map(
      [...pod.specs].map(([name, spec]) => [name, extra.mounts.length === 0 ? spec : { ...spec, volumeMounts: [...(spec.volumeMounts ?? []), ...extra.mounts] }]),
    );
    let settings: Promise<{ sandbox: SandboxOptions; resolvConf: string }> | undefined;
    return new PodRuntimeActor(pod.input, {
      runtime,
      pod: pod.ref,
      specs,
      volumes: extra.volumes,
      ...(adopted ? { adopted } : {}),
      hostIP: this.opts.hostIP,
      probe: this.probe,
      mountVolumes: () => this.configs.mount(key.uid),
      containerConfig: async (name, ctx) => {
        const base = pod.specs.get(name);
        if (!base) throw new Error(`no container ${name} in pod ${key.namespace}/${key.name}`);
        const config = await this.configs.config(key.uid, base, extra, ctx.podIP);
        return { spec: config.spec, volumes: config.volumes, events: config.warnings.map((w) => ({ type: 'Warning' as const, reason: w.reason, message: w.message })) };
      },
      prepareVolumes: async () => {
        if (network) {
          settings ??= network.settingsFor(obj);
          await mkdir(podDir(dataDir, key.uid), { recursive: true });
          await writeFile(resolvConf, (await settings).resolvConf, { mode: 0o644 });
        }
      },
      ...(network
        ? { sandboxOptions: async () => (await (settings ??= network.settingsFor(obj))).sandbox, onSandboxCreated: () => network.sandboxCreated() }
        : {}),
      removeVolumes: () => this.configs.tearDown(key.uid),
      onEvent: (record) => outbox.event(this.eventOf(key, record)),
      onStatus: (status) => outbox.status(key, status),
      onRemoved: () => {
        this.workers.delete(key.uid);
        outbox.podTerminated(key);
      },
      onError,
    }, this.opts.bus ? { inspect: this.opts.bus.inspectorFor(identity) } : {});
  }

  /**
   * The master has this pod as finished while its actor here still runs it: it was failed while
   * this node was away (NodeLost) and replaced. As the kubelet does with a pod the API says is
   * terminal, the actor stands down (it never reports the pod again, so never Running) and the
   * pod's containers are stopped but kept (logs, `docker ps -a`) until the pod is deleted and
   * `pods.sync` removes them.
   */
  private standDown(uid: string, actor: PodRuntimeActor, graceSeconds: number): void {
    if (this.stoodDown.has(uid)) return;
    this.stoodDown.add(uid);
    actor.stop();
    this.opts.outbox.forget(uid);
    void this.opts.runtime
      .listPods()
      .then((pods) => pods.find((p) => p.podUid === uid))
      .then((held) => held && this.stopContainers(held, graceSeconds))
      .catch((err: unknown) => this.opts.onError(err));
  }

  /** Stops (does not remove) a pod's containers, then its sandbox. */
  private async stopContainers(pod: RuntimePod, graceSeconds: number): Promise<void> {
    await stopRuntimePod(this.opts.runtime, pod, graceSeconds).catch((err: unknown) => this.opts.onError(err));
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
      await this.configs.tearDown(pod.podUid);
    } catch (err) {
      this.opts.onError(err);
    }
  }
}
