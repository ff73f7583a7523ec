/**
 * The object-level API: what the HTTP handlers call, and what in-process controllers use
 * directly. Methods take and return plain objects and throw `ApiError` with the Status
 * Kubernetes would answer. Semantics per operation live in the files named below.
 */
import pino, { type Logger } from 'pino';
import { apiVersionOf, storedResource, type ResourceInfo } from '../api/kinds.ts';
import { fromStoredVersion, toStoredVersion } from '../api/conversion.ts';
import type { KubeObject } from '../api/object.ts';
import type { PatchType } from '../api/patch/index.ts';
import { ApiError } from '../api/status.ts';
import { prefixFor } from '../api/metadata.ts';
import { Informer } from '../store/informer.ts';
import type { Store } from '../store/types.ts';
import { decodeObject } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { bindPod } from './binding.ts';
import { createObject } from './create.ts';
import { deleteObject } from './delete.ts';
import { listObjects } from './list.ts';
import { NAMESPACES } from './namespace-guard.ts';
import { NamespaceTerminator } from './namespace-terminator.ts';
import { patchedObject, patchObject } from './patch.ts';
import { readCurrent } from './read.ts';
import { hasScale, toScale, withScaleReplicas } from './scale.ts';
import type { DeleteOptions, KubeList, ListOptions, RegistryWatch, Scale, WatchOptions, WatchSink, WriteOptions } from './types.ts';
import { checkName, checkNamespace, withTypeMeta } from './body-checks.ts';
import { guaranteedUpdate } from './update.ts';
import { watchObjects } from './watch.ts';
import { AllocationCache } from './allocators/allocation-cache.ts';
import { serviceRanges, type ServiceRanges } from './allocators/ranges.ts';
import { ServiceAllocator } from './allocators/service-allocator.ts';
import { Admission, type AdmissionOptions } from './admission/admission.ts';
import { ensureSystemPriorityClasses, PRIORITY_CLASSES } from './admission/priority.ts';
import { composeWriteHooks } from './write-hooks.ts';

export interface RegistryOptions {
  store: Store;
  /** Where Services get ClusterIPs and node ports (default 10.96.0.0/12 and 30000-32767). */
  serviceRanges?: ServiceRanges;
  /** Clock for timestamps (default: the system clock). */
  now?: () => Date;
  logger?: Logger;
  /**
   * Admission plugins (admission/): LimitRanger and ResourceQuota, and ServiceAccount when asked.
   * Absent: none (controllers' tests over a bare store); the API server always passes it.
   */
  admission?: AdmissionOptions;
}

export interface PatchOptions extends WriteOptions {
  /** Patch the status subresource (only status changes) instead of the object. */
  subresource?: 'status';
}

export class Registry {
  private readonly ctx: RegistryContext;
  private readonly terminator: NamespaceTerminator;
  private readonly namespaces: Informer<KubeObject>;
  /** ClusterIP and node port allocation, committed with each Service write (allocators/). */
  readonly services: ServiceAllocator;

  /** `shareWith`: see `withStore`. */
  constructor(opts: RegistryOptions, shareWith?: Registry) {
    if (shareWith) {
      this.namespaces = shareWith.namespaces;
      this.services = shareWith.services;
      this.terminator = shareWith.terminator;
      this.ctx = { ...shareWith.ctx, store: opts.store };
      return;
    }
    this.namespaces = new Informer({ store: opts.store, prefix: prefixFor(NAMESPACES), decode: decodeObject });
    this.services = new ServiceAllocator(opts.store, opts.serviceRanges ?? serviceRanges(), new AllocationCache(opts.store));
    const now = opts.now ?? (() => new Date());
    const admission = opts.admission ? new Admission(opts.store, now, opts.admission) : undefined;
    this.ctx = {
      store: opts.store,
      now,
      log: opts.logger ?? pino({ level: 'silent' }),
      cachedNamespace: (name) => this.namespaces.get(`${prefixFor(NAMESPACES)}${name}`),
      writeHooks: (info) => composeWriteHooks(info.group === '' && info.kind === 'Service' ? this.services : undefined, admission?.quotaHooks(info)),
      admission,
    };
    this.terminator = new NamespaceTerminator(this.ctx, (info, ns, name, o) => this.delete(info, ns, name, o));
  }

  /**
   * This registry (its caches, admission, allocators) reading and writing through another view of
   * its store: the elected master's controllers get one over the fenced store (src/store/fenced.ts),
   * so each of their writes commits only while this master holds the leader Lease. Neither started
   * nor closed on its own: it lives as long as this registry.
   */
  withStore(store: Store): Registry {
    return new Registry({ store }, this);
  }

  /** Creates the namespaces that must always exist and resumes interrupted namespace deletions. */
  async start(namespaces: readonly string[] = []): Promise<void> {
    for (const name of namespaces) {
      try {
        await this.create(NAMESPACES, undefined, { metadata: { name } });
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    }
    await this.namespaces.start();
    await this.ctx.admission?.start();
    // The API server's scheduling/bootstrap-system-priority-classes: with admission (a master), the system PriorityClasses exist.
    if (this.ctx.admission) await ensureSystemPriorityClasses((obj) => this.create(PRIORITY_CLASSES, undefined, obj));
    await this.terminator.resumeAll();
  }

  /** Stops background work (namespace terminations). The store is not closed. */
  close(): void {
    this.namespaces.stop();
    this.ctx.admission?.stop();
    this.services.cache.stop();
    this.terminator.close();
  }

  /** See create.ts. */
  async create(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const stored = storedResource(info);
    if (stored !== info) return fromStoredVersion(info, await this.create(stored, namespace, toStoredVersion(info, withTypeMeta(info, obj)), opts));
    return createObject(this.ctx, info, namespace, obj, opts);
  }

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    const stored = storedResource(info);
    const object = (await readCurrent(this.ctx, stored, namespace, name)).object;
    return stored === info ? object : fromStoredVersion(info, object);
  }

  /** See list.ts. `namespace` undefined lists across all namespaces. */
  async list(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    const stored = storedResource(info);
    const list = await listObjects(this.ctx, stored, namespace, opts);
    return stored === info ? list : { ...list, apiVersion: apiVersionOf(info), items: list.items.map((o) => fromStoredVersion(info, o)) };
  }

  /** PUT: replaces the object (status kept for kinds with a status subresource). See update.ts. */
  update(info: ResourceInfo, namespace: string | undefined, name: string, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return this.replace(info, namespace, name, obj, 'main', opts);
  }

  /** PUT on /status: changes the status only. */
  updateStatus(info: ResourceInfo, namespace: string | undefined, name: string, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    this.requireSubresource(info, 'status');
    return this.replace(info, namespace, name, obj, 'status', opts);
  }

  private async replace(info: ResourceInfo, namespace: string | undefined, name: string, obj: KubeObject, target: 'main' | 'status', opts: WriteOptions): Promise<KubeObject> {
    const stored = storedResource(info);
    const checked = this.checkedBody(info, namespace, name, obj);
    const body = stored === info ? checked : toStoredVersion(info, checked);
    const updated = await guaranteedUpdate(this.ctx, stored, namespace, name, { target, opts, build: () => body });
    return stored === info ? updated : fromStoredVersion(info, updated);
  }

  /**
   * See patch.ts. In a version served by conversion the patch applies to the object as that
   * version shows it (as Kubernetes patches the requested version).
   */
  async patch(info: ResourceInfo, namespace: string | undefined, name: string, patchType: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<KubeObject> {
    if (opts.subresource) this.requireSubresource(info, opts.subresource);
    const stored = storedResource(info);
    const target = opts.subresource ?? 'main';
    if (stored === info) return patchObject(this.ctx, info, namespace, name, patchType, patch, target, opts);
    const build = (current: KubeObject): KubeObject => {
      const patched = patchedObject(info, patchType, fromStoredVersion(info, current), patch);
      return toStoredVersion(info, this.checkedBody(info, namespace, name, patched));
    };
    try {
      return fromStoredVersion(info, await guaranteedUpdate(this.ctx, stored, namespace, name, { target, opts, build }));
    } catch (err) {
      // Server-side apply creates what is not there yet.
      if (!(patchType === 'application/apply-patch+yaml' && target === 'main' && err instanceof ApiError && err.code === 404)) throw err;
      return this.create(info, namespace, patchedObject(info, patchType, { apiVersion: apiVersionOf(info), kind: info.kind, metadata: { name, namespace } }, patch), opts);
    }
  }

  /** See delete.ts. Returns the object as deleted, or as marked for deletion when it stays. */
  async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    const stored = storedResource(info);
    const deleted = await deleteObject(this.ctx, stored, namespace, name, opts, (ns) => this.terminator.terminate(ns));
    return stored === info ? deleted : fromStoredVersion(info, deleted);
  }

  /** Deletes every object the selectors match; returns them as a list. */
  async deleteCollection(info: ResourceInfo, namespace: string | undefined, listOpts: ListOptions, opts: DeleteOptions = {}): Promise<KubeList> {
    if (!info.verbs.includes('deletecollection')) throw ApiError.methodNotAllowed(info, 'deletecollection');
    const list = await this.list(info, namespace, { labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      try {
        deleted.push(await this.delete(info, item.metadata?.namespace, item.metadata?.name ?? '', opts));
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return { ...list, items: deleted };
  }

  /** See watch.ts. Events reach `sink` synchronously and in order until close() or an ERROR event. */
  watch(info: ResourceInfo, namespace: string | undefined, opts: WatchOptions, sink: WatchSink): Promise<RegistryWatch> {
    const stored = storedResource(info);
    if (stored === info) return watchObjects(this.ctx, info, namespace, opts, sink);
    return watchObjects(this.ctx, stored, namespace, opts, {
      onEvent: (ev) => {
        if (ev.type === 'ERROR') return sink.onEvent(ev);
        if (ev.type === 'BOOKMARK') return sink.onEvent({ ...ev, object: { ...ev.object, apiVersion: apiVersionOf(info) } });
        sink.onEvent({ ...ev, object: fromStoredVersion(info, ev.object) });
      },
    });
  }

  /** POST pods/<name>/binding: assigns the pod to `binding.target.name` once (see binding.ts). Returns the bound pod. */
  bindPod(namespace: string, podName: string, binding: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return bindPod(this.ctx, namespace, podName, binding, opts);
  }

  /** GET /scale. */
  async getScale(info: ResourceInfo, namespace: string | undefined, name: string): Promise<Scale> {
    this.requireSubresource(info, 'scale');
    return toScale(await this.get(info, namespace, name));
  }

  /** PUT /scale: sets spec.replicas (CAS when the Scale carries a resourceVersion). */
  async updateScale(info: ResourceInfo, namespace: string | undefined, name: string, scale: KubeObject, opts: WriteOptions = {}): Promise<Scale> {
    this.requireSubresource(info, 'scale');
    const wantedRv = scale.metadata?.resourceVersion;
    const updated = await guaranteedUpdate(this.ctx, info, namespace, name, {
      target: 'main',
      opts,
      build: (current) => withWantedRv(withScaleReplicas(current, scale), wantedRv),
    });
    return toScale(updated);
  }

  /** PATCH /scale (`kubectl scale` sends a merge patch here): the patch applies to the Scale. */
  async patchScale(info: ResourceInfo, namespace: string | undefined, name: string, patchType: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<Scale> {
    this.requireSubresource(info, 'scale');
    const updated = await guaranteedUpdate(this.ctx, info, namespace, name, {
      target: 'main',
      opts,
      build: (current) => {
        const scale = patchedObject(SCALE_INFO, patchType, toScale(current), patch);
        return withWantedRv(withScaleReplicas(current, scale), scale.metadata?.resourceVersion);
      },
    });
    return toScale(updated);
  }

  private checkedBody(info: ResourceInfo, namespace: string | undefined, name: string, obj: KubeObject): KubeObject {
    const body = withTypeMeta(info, obj);
    checkNamespace(info, body, namespace);
    checkName(body, name);
    return body;
  }

  private requireSubresource(info: ResourceInfo, sub: 'status' | 'scale'): void {
    if (sub === 'scale' ? !hasScale(info) : !info.subresources.includes('status')) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
  }
}

/** Scale patches use autoscaling/v1 Scale's schema. */
const SCALE_INFO: ResourceInfo = {
  group: 'autoscaling', version: 'v1', kind: 'Scale', listKind: 'ScaleList', resource: 'scale', singular: 'scale',
  namespaced: true, shortNames: [], categories: [], subresources: [], verbs: [], storageVersion: 'v1',
};

function withWantedRv(obj: KubeObject, rv: string | undefined): KubeObject {
  if (rv) obj.metadata = { ...obj.metadata, resourceVersion: rv };
  return obj;
}
