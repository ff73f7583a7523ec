/**
 * The StorageClass every cluster starts with (as k3s ships `local-path`): kactus' local
 * provisioner, binding when a claim's first pod is scheduled, volumes deleted with their claims,
 * and the default for claims that name no class. Created by the elected master when it starts
 * leading, if missing; an existing class of that name (a user's changes) is left as it is.
 */
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { ANN_DEFAULT_CLASS, LOCAL_PATH_CLASS, LOCAL_PATH_PROVISIONER } from '../../api/storage/names.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { STORAGE_CLASSES } from './effects.ts';

export const DEFAULT_STORAGE_CLASS: KubeObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: LOCAL_PATH_CLASS, annotations: { [ANN_DEFAULT_CLASS]: 'true' } },
  provisioner: LOCAL_PATH_PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

/** Creates the `local-path` class unless a class of that name exists. */
export async function ensureDefaultStorageClass(registry: Registry): Promise<void> {
  try {
    await registry.create(STORAGE_CLASSES, undefined, structuredClone(DEFAULT_STORAGE_CLASS));
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}

/** The leader's one-shot: the default class exists once it leads (retried with back-off until the store answers). */
export const defaultStorageClassFactory: ControllerFactory = (deps: ControllerDeps): Controller => {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const retry = (delayMs: number): void => {
    timer = setTimeout(() => {
      if (!stopped) ensureDefaultStorageClass(deps.registry).catch(() => retry(Math.min(delayMs * 2, 30_000)));
    }, delayMs);
    timer.unref();
  };
  return {
    async start() {
      try {
        await ensureDefaultStorageClass(deps.registry);
      } catch (err) {
        deps.logger.warn({ err }, 'creating the default StorageClass failed; retrying');
        retry(200);
      }
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
};
