/**
 * Names of the per-service chains and sets. Readable (`svc-default/web/tcp/http`) so `nft list
 * table` explains itself, and stable across renders: ClientIP affinity entries are carried over
 * a rebuild by set name.
 */
import { createHash } from 'node:crypto';
import type { ProxyEndpoint, ProxyServicePort } from './service-ports.ts';

/**
 * nft identifiers are `[A-Za-z_.][A-Za-z0-9/_.-]*`; Kubernetes names, port names and protocols
 * fit (the prefix supplies the leading letter). Anything else, or anything long enough to
 * brush nft's 256-byte name limit, is replaced by a hash so no object can inject syntax.
 */
const SAFE = /^[a-z0-9./-]*$/;
const MAX_BASE = 200;

function safeBase(base: string): string {
  if (SAFE.test(base) && base.length <= MAX_BASE) return base;
  return `h${createHash('sha256').update(base).digest('hex').slice(0, 24)}`;
}

/** "namespace/name/protocol/portName": one per service port. */
function portBase(sp: ProxyServicePort): string {
  return safeBase(`${sp.namespace}/${sp.name}/${sp.protocol}/${sp.portName}`);
}

function endpointBase(sp: ProxyServicePort, ep: ProxyEndpoint): string {
  return `${portBase(sp)}__${ep.ip}/${ep.port}`;
}

/** Chain picking among the "Cluster" policy endpoints (also the ClusterIP's, unless iTP is Local). */
export const clusterChainName = (sp: ProxyServicePort) => `svc-${portBase(sp)}`;

/** Chain picking among this node's endpoints ("Local" policies). */
export const localChainName = (sp: ProxyServicePort) => `local-${portBase(sp)}`;

/** Chain NodePort traffic enters: masquerade or short-circuit, then a policy chain. */
export const externalChainName = (sp: ProxyServicePort) => `ext-${portBase(sp)}`;

/** Chain that DNATs to one endpoint (hairpin mark, affinity update). */
export const endpointChainName = (sp: ProxyServicePort, ep: ProxyEndpoint) => `ep-${endpointBase(sp, ep)}`;

/** Set of clients pinned to one endpoint (ClientIP affinity), entries time out. */
export const affinitySetName = (sp: ProxyServicePort, ep: ProxyEndpoint) => `aff-${endpointBase(sp, ep)}`;

/** Affinity sets are the only sets named with this prefix (the carry-over reads them back). */
export const AFFINITY_SET_PREFIX = 'aff-';
