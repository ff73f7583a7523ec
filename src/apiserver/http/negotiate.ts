/**
 * Content negotiation: which representation of a response the client asked for in `Accept`.
 * Kubernetes clients list alternatives in preference order (`as=Table;g=meta.k8s.io;v=v1`, then
 * plain `application/json`); the first one we can produce wins.
 */

/** One entry of an Accept header, e.g. `application/json;as=Table;v=v1;g=meta.k8s.io`. */
export interface MediaRange {
  /** `type/subtype`, lower case. */
  mediaType: string;
  params: Record<string, string>;
  /** The entry exactly as sent (used to echo Content-Type for aggregated discovery). */
  raw: string;
}

/** Parses an Accept header; an absent or empty header means `*\/*`. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || header.trim() === '') return [{ mediaType: '*/*', params: {}, raw: '*/*' }];
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((raw) => {
      const [type, ...paramParts] = raw.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of paramParts) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
      }
      return { mediaType: (type ?? '').toLowerCase(), params, raw };
    });
}

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*']);

function isJsonRange(r: MediaRange): boolean {
  return JSON_TYPES.has(r.mediaType);
}

/** The shapes an object or list response can take. */
export type ObjectView =
  | { kind: 'object' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1' };

/**
 * Picks the representation for a get/list/watch response: a server-side Table, partial object
 * metadata, or the object itself. Returns undefined when nothing acceptable is offered (406).
 */
export function negotiateObjectView(accept: string | undefined): ObjectView | undefined {
  for (const r of parseAccept(accept)) {
    if (!isJsonRange(r)) continue;
    const as = r.params.as;
    if (as === undefined) return { kind: 'object' };
    if (r.params.g !== 'meta.k8s.io') continue;
    const version = r.params.v === 'v1' || r.params.v === 'v1beta1' ? r.params.v : undefined;
    if (!version) continue;
    if (as === 'Table') return { kind: 'table', version };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'metadata', version };
  }
  return undefined;
}

/** Aggregated discovery versions we serve, best first. */
const AGGREGATED_DISCOVERY_VERSIONS = ['v2', 'v2beta1'] as const;
export type AggregatedDiscoveryVersion = (typeof AGGREGATED_DISCOVERY_VERSIONS)[number];

/**
 * For /api and /apis: the aggregated discovery version the client asked for first, with the exact
 * media type to echo in Content-Type (client-go checks it to tell aggregated from legacy
 * discovery), or undefined for legacy discovery.
 */
export function negotiateDiscovery(accept: string | undefined): { version: AggregatedDiscoveryVersion; contentType: string } | undefined {
  for (const r of parseAccept(accept)) {
    if (!isJsonRange(r)) continue;
    if (r.params.as === undefined) return undefined;
    if (r.params.as !== 'APIGroupDiscoveryList' || r.params.g !== 'apidiscovery.k8s.io') continue;
    const version = AGGREGATED_DISCOVERY_VERSIONS.find((v) => v === r.params.v);
    if (version) return { version, contentType: `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList` };
  }
  return undefined;
}
