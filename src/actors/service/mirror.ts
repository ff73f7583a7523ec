/**
 * EndpointSlice mirroring (Kubernetes' pkg/controller/endpointslicemirroring): the Endpoints a
 * user writes for a Service without a selector, seen as slices, so consumers that read only
 * slices (kube-proxy, DNS) see them too. Pure.
 */
import type { EndpointAddress, Endpoints } from 'kubernetes-types/core/v1.d.ts';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.d.ts';
import { LABEL_HEADLESS, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SKIP_MIRROR, MAX_ENDPOINTS_ADDRESSES } from './names.ts';
import type { EndpointGroup } from './slice-plan.ts';

/** The leader-election annotation old components put on Endpoints they use as locks (never mirrored). */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

/** Whether these Endpoints are mirrored at all (not marked skip-mirror, not a leader-election lock). */
export function shouldMirror(endpoints: Endpoints | undefined): endpoints is Endpoints {
  if (!endpoints) return false;
  if (endpoints.metadata?.labels?.[LABEL_SKIP_MIRROR] === 'true') return false;
  return endpoints.metadata?.annotations?.[LEADER_ANNOTATION] === undefined;
}

/** One group per subset, IPv4 addresses only, at most 1000 addresses in all (ready ones first within each subset). */
export function mirroredGroups(endpoints: Endpoints): EndpointGroup[] {
  let budget = MAX_ENDPOINTS_ADDRESSES;
  const groups: EndpointGroup[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const ports = (subset.ports ?? []).map(mirrorPort);
    const eps: Endpoint[] = [];
    for (const [list, ready] of [[subset.addresses, true], [subset.notReadyAddresses, false]] as const) {
      for (const addr of list ?? []) {
        if (budget <= 0 || addr.ip.includes(':')) continue;
        eps.push(mirrorAddress(addr, ready));
        budget--;
      }
    }
    groups.push({ ports, endpoints: eps });
  }
  return groups.filter((g) => g.endpoints.length > 0);
}

function mirrorPort(p: { name?: string; port: number; protocol?: string; appProtocol?: string }): EndpointPort {
  const out: EndpointPort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
  if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
  return out;
}

function mirrorAddress(addr: EndpointAddress, ready: boolean): Endpoint {
  const ep: Endpoint = { addresses: [addr.ip], conditions: { ready } };
  if (addr.hostname) ep.hostname = addr.hostname;
  if (addr.nodeName) ep.nodeName = addr.nodeName;
  if (addr.targetRef) ep.targetRef = structuredClone(addr.targetRef);
  return ep;
}

/** The labels mirrored slices carry: the Endpoints' own (reserved ones dropped) plus service name and manager. */
export function mirroredLabels(endpoints: Endpoints, serviceName: string, manager: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(endpoints.metadata?.labels ?? {})) {
    if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY && k !== LABEL_HEADLESS) labels[k] = v;
  }
  labels[LABEL_SERVICE_NAME] = serviceName;
  labels[LABEL_MANAGED_BY] = manager;
  return labels;
}
