/**
 * Server-side printing: `meta.k8s.io/v1` Table responses (what `kubectl get` asks for with
 * `as=Table`), with the columns and cell values of Kubernetes' own printers. Priority-1 columns
 * are the ones kubectl shows only with `-o wide`.
 */
import type { ResourceInfo } from './kinds.ts';
import type { KubeObject } from './object.ts';
import { printerFor } from './table/printers.ts';

export type IncludeObject = 'Object' | 'Metadata' | 'None';

export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: 'Completed';
  status: 'True';
  reason: string;
  message: string;
}

export interface TableRow {
  cells: (string | number | boolean)[];
  conditions?: TableRowCondition[];
  /** The full object, a PartialObjectMetadata, or absent, per `includeObject`. */
  object?: KubeObject;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** What each row carries in `object`; Kubernetes' default is Metadata. */
  includeObject?: IncludeObject;
  /** The clock AGE is measured against. */
  now?: Date;
}

/** The Table for `objects` of `info`'s kind. */
export function toTable(info: ResourceInfo, objects: readonly KubeObject[], opts: TableOptions = {}): Table {
  const printer = printerFor(info);
  const now = opts.now ?? new Date();
  const include = opts.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: printer.columns.map((c) => ({
      name: c.name,
      type: c.type ?? 'string',
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((obj) => {
      const row: TableRow = { cells: printer.cells(obj, now) };
      const conditions = printer.conditions?.(obj);
      if (conditions) row.conditions = conditions;
      const object = rowObject(obj, include);
      if (object) row.object = object;
      return row;
    }),
  };
}

function rowObject(obj: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export { humanDuration } from './table/duration.ts';
