/**
 * Renders objects and lists in the representation content negotiation chose: as they are, as a
 * server-side Table (what `kubectl get` prints), or as PartialObjectMetadata.
 */
import type { ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { toTable, type IncludeObject } from '../../api/table.ts';
import type { KubeList } from '../../registry/types.ts';
import type { ObjectView } from './negotiate.ts';

const INCLUDE_OBJECT: readonly IncludeObject[] = ['None', 'Metadata', 'Object'];

/** `includeObject` of a Table request (default Metadata, as Kubernetes). */
export function includeObjectParam(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (!(INCLUDE_OBJECT as readonly string[]).includes(v)) {
    throw ApiError.badRequest(`includeObject: Unsupported value: ${JSON.stringify(v)}: supported values: "None", "Metadata", "Object"`);
  }
  return v as IncludeObject;
}

function partialMetadata(obj: KubeObject, version: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata ?? {} };
}

/** One object (get, write responses, watch events) in the chosen view. */
export function renderObject(view: ObjectView, info: ResourceInfo, obj: KubeObject, includeObject: IncludeObject): unknown {
  switch (view.kind) {
    case 'object':
      return obj;
    case 'metadata':
      return partialMetadata(obj, view.version);
    case 'table': {
      const table = toTable(info, [obj], { includeObject });
      return { ...table, apiVersion: `meta.k8s.io/${view.version}`, metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' } };
    }
  }
}

/** A list in the chosen view; list metadata (resourceVersion, continue) is carried over. */
export function renderList(view: ObjectView, info: ResourceInfo, list: KubeList, includeObject: IncludeObject): unknown {
  switch (view.kind) {
    case 'object':
      return list;
    case 'metadata':
      return {
        kind: 'PartialObjectMetadataList',
        apiVersion: `meta.k8s.io/${view.version}`,
        metadata: list.metadata,
        items: list.items.map((o) => partialMetadata(o, view.version)),
      };
    case 'table':
      return { ...toTable(info, list.items, { includeObject }), apiVersion: `meta.k8s.io/${view.version}`, metadata: list.metadata };
  }
}
