/**
 * Which log entries a client wants (its query's filters), and the one dimension the hub indexes
 * it under so that an entry is offered only to clients that may want it: 1,000 clients each
 * watching one namespace cost a map lookup per entry, not 1,000 checks.
 */
import type { LogEntry } from '../../registry/transition-log/entries.ts';
import type { ObjectRef } from '../../registry/transition-log/keys.ts';
import type { StreamQuery } from './query.ts';

/** The object an entry is about. */
export function objectOf(entry: LogEntry): ObjectRef {
  if (entry.type === 'event') return entry.about;
  const { kind, namespace, name } = entry.record;
  return { kind, namespace: namespace ?? '', name };
}

/** The index a client sits in: its most selective filter, or every entry. */
export type IndexSlot = { dimension: 'name' | 'namespace' | 'kind'; values: ReadonlySet<string> } | { dimension: 'all' };

export class StreamFilter {
  constructor(private readonly query: Pick<StreamQuery, 'kinds' | 'namespaces' | 'names' | 'selector'>) {}

  get slot(): IndexSlot {
    const { names, namespaces, kinds } = this.query;
    if (names) return { dimension: 'name', values: names };
    if (namespaces) return { dimension: 'namespace', values: namespaces };
    if (kinds) return { dimension: 'kind', values: kinds };
    return { dimension: 'all' };
  }

  /**
   * Whether the client wants `entry`. An Event has no labels of its own that matter here: a
   * label selector is matched against its object's, as `labelsOf` knows them.
   */
  matches(entry: LogEntry, labelsOf: (object: ObjectRef) => Record<string, string> | undefined): boolean {
    const o = objectOf(entry);
    const { kinds, namespaces, names, selector } = this.query;
    if (kinds && !kinds.has(o.kind)) return false;
    if (namespaces && !namespaces.has(o.namespace)) return false;
    if (names && !names.has(o.name)) return false;
    if (!selector) return true;
    return selector.matches(entry.type === 'transition' ? entry.record.labels : labelsOf(o));
  }
}
