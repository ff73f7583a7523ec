/**
 * Object output formats shared by verbs: `-o json`, `-o yaml`, `-o name`.
 */
import { stringify } from 'yaml';
import { apiVersionOf, qualifiedKind, type ApiResource } from './discovery.ts';
import { CliError } from './errors.ts';

/** A Kubernetes object as it comes back from the server. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** A list response (`PodList`, ...). */
export interface KubeList {
  kind?: string;
  metadata?: { resourceVersion?: string };
  items: KubeObject[];
}

export type ObjectFormat = 'json' | 'yaml' | 'name';

/** Parses `-o`: returns the object format, 'wide', or undefined for the default table. */
export function parseOutput(value: string | undefined): ObjectFormat | 'wide' | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'json' || value === 'yaml' || value === 'name' || value === 'wide') return value;
  throw new CliError(`unable to match a printer suitable for the output format "${value}", allowed formats are: json,name,wide,yaml`);
}

/** Lists omit each item's apiVersion/kind; kubectl fills them in before printing. */
export function withTypeMeta(obj: KubeObject, r: ApiResource): KubeObject {
  return { apiVersion: apiVersionOf(r), kind: r.kind, ...obj };
}

/** `pod/x`, `deployment.apps/y`: what `-o name` and apply/delete messages print. */
export function objectName(r: ApiResource, name: string): string {
  return `${qualifiedKind(r)}/${name}`;
}

/** Renders objects: one object alone, several wrapped in a `List`, as kubectl does. */
export function formatObjects(objs: { resource: ApiResource; object: KubeObject }[], format: ObjectFormat, single: boolean): string {
  if (format === 'name') return objs.map(({ resource, object }) => objectName(resource, object.metadata?.name ?? '') + '\n').join('');
  const items = objs.map(({ resource, object }) => withTypeMeta(object, resource));
  const doc = single && items.length === 1 ? items[0] : { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
  return format === 'json' ? JSON.stringify(doc, null, 4) + '\n' : stringify(doc);
}
