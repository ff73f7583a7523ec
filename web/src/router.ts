/**
 * Hash routes (the server serves one page; everything after `#` is the dashboard's):
 *   #/[?namespace=team-a]           cluster overview (one namespace's pods and workloads with `namespace`)
 *   #/list/pods?namespace=default   an object list (all namespaces without `namespace`)
 *   #/object/pods/default/web       an object page (`_` as the namespace of cluster-scoped kinds)
 *   #/live?namespace=default&kind=Pod   every matching actor, live
 *   #/machines                      the machine catalogue
 */
export type Route =
  | { page: 'overview'; namespace?: string }
  | { page: 'list'; resource: string; namespace?: string }
  | { page: 'object'; resource: string; namespace?: string; name: string }
  | { page: 'live'; namespace?: string; kind?: string }
  | { page: 'machines' };

const dec = decodeURIComponent;
const enc = encodeURIComponent;

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [path = '', search = ''] = text.split('?', 2);
  const params = new URLSearchParams(search);
  const segs = path.split('/').filter((s) => s !== '').map(dec);
  const namespace = params.get('namespace') ?? undefined;
  switch (segs[0]) {
    case 'list':
      if (segs[1]) return namespace !== undefined ? { page: 'list', resource: segs[1], namespace } : { page: 'list', resource: segs[1] };
      break;
    case 'object':
      if (segs.length === 4) {
        const route: Route = { page: 'object', resource: segs[1]!, name: segs[3]! };
        if (segs[2] !== '_') route.namespace = segs[2];
        return route;
      }
      break;
    case 'live': {
      const route: Route = { page: 'live' };
      if (namespace !== undefined) route.namespace = namespace;
      const kind = params.get('kind');
      if (kind) route.kind = kind;
      return route;
    }
    case 'machines':
      return { page: 'machines' };
  }
  return namespace !== undefined ? { page: 'overview', namespace } : { page: 'overview' };
}

export function formatRoute(r: Route): string {
  switch (r.page) {
    case 'overview':
      return `#/${r.namespace !== undefined ? `?namespace=${enc(r.namespace)}` : ''}`;
    case 'list':
      return `#/list/${enc(r.resource)}${r.namespace !== undefined ? `?namespace=${enc(r.namespace)}` : ''}`;
    case 'object':
      return `#/object/${enc(r.resource)}/${r.namespace !== undefined ? enc(r.namespace) : '_'}/${enc(r.name)}`;
    case 'live': {
      const q = new URLSearchParams();
      if (r.namespace !== undefined) q.set('namespace', r.namespace);
      if (r.kind !== undefined) q.set('kind', r.kind);
      const text = q.toString();
      return `#/live${text ? `?${text}` : ''}`;
    }
    case 'machines':
      return '#/machines';
  }
}

/** The route with another namespace (`undefined`: all), for the pages that show one; others unchanged. */
export function withNamespace(r: Route, namespace: string | undefined): Route {
  switch (r.page) {
    case 'overview':
    case 'list':
    case 'live': {
      const { namespace: _old, ...rest } = r;
      return namespace === undefined ? rest : { ...rest, namespace };
    }
    default:
      return r;
  }
}
