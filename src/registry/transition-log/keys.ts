/**
 * Where the transition log lives in the store. One prefix holds every record, so one store watch
 * gives the whole ordered stream; below it, each object's records sit together, so its history is
 * one prefix list:
 *
 *   /kactus/stream/o/<kind>/<namespace|_>/<name>/a/<actor|_>/<unique>   a transition of one actor
 *   /kactus/stream/o/<kind>/<namespace|_>/<name>/e/<unique>             a Kubernetes Event about it
 *   /kactus/stream/x/<kind>/<namespace|_>/<name>                         "this object has history"
 *
 * `_` stands for a cluster-scoped object's namespace and for the object's own actor (namespaces
 * are DNS labels and child ids hold a `:`, so neither can be `_`); a child's id path is
 * URI-encoded (`container%3Aapp%2Fprobe%3Aliveness`). The `x/` directory (one small key per
 * object) is what the sweeper reads instead of every record.
 */

export const LOG_ROOT = '/kactus/stream/';
/** Every record (transitions and Events): what the stream watches. */
export const RECORDS_PREFIX = `${LOG_ROOT}o/`;
/** One key per object with records: what the sweeper lists. */
export const DIRECTORY_PREFIX = `${LOG_ROOT}x/`;

const part = (s: string): string => (s === '' ? '_' : encodeURIComponent(s));
const unpart = (s: string): string => (s === '_' ? '' : decodeURIComponent(s));

/** The object a record belongs to. */
export interface ObjectRef {
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** `/kactus/stream/o/<kind>/<ns>/<name>/`: every record of one object. */
export function objectPrefix(o: ObjectRef): string {
  return `${RECORDS_PREFIX}${part(o.kind)}/${part(o.namespace)}/${part(o.name)}/`;
}

/** Every transition of one object's actors (its own and its children's). */
export function transitionsPrefix(o: ObjectRef): string {
  return `${objectPrefix(o)}a/`;
}

/** The transitions of one actor of the object (`''`: the object's own). */
export function actorPrefix(o: ObjectRef, actor: string): string {
  return `${transitionsPrefix(o)}${part(actor)}/`;
}

/** The Kubernetes Events about one object. */
export function eventsPrefix(o: ObjectRef): string {
  return `${objectPrefix(o)}e/`;
}

/** The object's directory key. */
export function directoryKey(o: ObjectRef): string {
  return `${DIRECTORY_PREFIX}${part(o.kind)}/${part(o.namespace)}/${part(o.name)}`;
}

/** The object a directory key names. */
export function parseDirectoryKey(key: string): ObjectRef | undefined {
  if (!key.startsWith(DIRECTORY_PREFIX)) return undefined;
  const parts = key.slice(DIRECTORY_PREFIX.length).split('/');
  if (parts.length !== 3) return undefined;
  return { kind: unpart(parts[0]!), namespace: unpart(parts[1]!), name: unpart(parts[2]!) };
}

/** What a record key names: its object, whether a transition (and of which actor) or an Event. */
export type RecordKey = (ObjectRef & { type: 'transition'; actor: string }) | (ObjectRef & { type: 'event' });

export function parseRecordKey(key: string): RecordKey | undefined {
  if (!key.startsWith(RECORDS_PREFIX)) return undefined;
  const parts = key.slice(RECORDS_PREFIX.length).split('/');
  const [kind, namespace, name, type] = parts;
  if (kind === undefined || namespace === undefined || name === undefined) return undefined;
  const o = { kind: unpart(kind), namespace: unpart(namespace), name: unpart(name) };
  if (type === 'a' && parts.length === 6) return { ...o, type: 'transition', actor: unpart(parts[4]!) };
  if (type === 'e' && parts.length === 5) return { ...o, type: 'event' };
  return undefined;
}

/**
 * A key suffix no other writer produces: the writer's time (base 36, fixed width, so keys sort
 * roughly by time for a human reading them), its random id and a counter. Order comes from the
 * store revision, never from the key.
 */
export function uniqueSuffix(nowMs: number, writerId: string, counter: number): string {
  return `${nowMs.toString(36).padStart(9, '0')}.${writerId}.${counter.toString(36)}`;
}
