/**
 * Every master's mesh addresses as the nodes need them: the ConfigMap `kube-public/kactus-mesh`
 * (mesh-directory.ts) followed by an informer, so the gateway can tell each node where to fail
 * over to (`masters.known`) when it connects and whenever a master comes or goes.
 */
import { findResource } from '../api/kinds.ts';
import { isRecord, jsonEqual, type KubeObject } from '../api/object.ts';
import { objectInformer, type ObjectInformer } from '../registry/informers.ts';
import type { Store } from '../store/types.ts';
import { meshAddressesOf, MESH_CONFIGMAP } from './mesh-directory.ts';

const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;

function addressesIn(cm: KubeObject | undefined): string[] {
  if (!cm) return [];
  const data = isRecord(cm.data) ? Object.fromEntries(Object.entries(cm.data).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
  return meshAddressesOf(data);
}

export class MastersKnownFeed {
  private readonly informer: ObjectInformer;
  private addresses: string[] = [];
  private started = false;

  /** `onChange` hears the whole list each time it changes (not at start). */
  constructor(store: Store, onChange: (masters: string[]) => void) {
    const update = (cm: KubeObject | undefined): void => {
      if (cm && cm.metadata?.name !== MESH_CONFIGMAP.name) return;
      const next = addressesIn(cm);
      if (jsonEqual(next, this.addresses)) return;
      this.addresses = next;
      if (this.started) onChange(next);
    };
    this.informer = objectInformer(store, CONFIGMAPS, {
      onAdd: (cm) => update(cm),
      onUpdate: (_, cm) => update(cm),
      onDelete: (cm) => cm.metadata?.name === MESH_CONFIGMAP.name && update(undefined),
    }, MESH_CONFIGMAP.namespace);
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.started = true;
  }

  stop(): void {
    this.informer.stop();
  }

  /** The masters' addresses as last seen (every master's, in master-name order). */
  current(): string[] {
    return [...this.addresses];
  }
}
