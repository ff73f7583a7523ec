/**
 * `describe service`: kubectl's describeService — selector, type, IP family fields, cluster IPs,
 * each port with its target port, node port and endpoints (read from the Service's
 * EndpointSlices, ready endpoints only, at most 3 then `+ N more...`), session affinity and
 * traffic policies.
 */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { DescribeWriter } from './writer.ts';

export function describeService(w: DescribeWriter, svc: Service, slices: EndpointSlice[]): void {
  const spec = svc.spec ?? {};
  const selector = Object.entries(spec.selector ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  w.field(0, 'Selector', selector || '<none>');
  w.field(0, 'Type', spec.type ?? '');
  if (spec.ipFamilyPolicy) w.field(0, 'IP Family Policy', spec.ipFamilyPolicy);
  w.field(0, 'IP Families', spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>');
  w.field(0, 'IP', spec.clusterIP ?? '');
  w.field(0, 'IPs', spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>');
  if (spec.externalIPs?.length) w.field(0, 'External IPs', spec.externalIPs.join(','));
  if (spec.type === 'ExternalName') w.field(0, 'External Name', spec.externalName ?? '');
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
  if (ingress.length) w.field(0, 'LoadBalancer Ingress', ingress.join(', '));
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    const protocol = p.protocol ?? 'TCP';
    w.field(0, 'Port', `${name}  ${p.port}/${protocol}`);
    w.field(0, 'TargetPort', `${p.targetPort ?? p.port}/${protocol}`);
    if (p.nodePort) w.field(0, 'NodePort', `${name}  ${p.nodePort}/${protocol}`);
    w.field(0, 'Endpoints', formatEndpointSlices(slices, p));
  }
  if (!spec.ports?.length) w.field(0, 'Endpoints', formatEndpointSlices(slices, undefined));
  w.field(0, 'Session Affinity', spec.sessionAffinity ?? 'None');
  if (spec.externalTrafficPolicy) w.field(0, 'External Traffic Policy', spec.externalTrafficPolicy);
  if (spec.internalTrafficPolicy) w.field(0, 'Internal Traffic Policy', spec.internalTrafficPolicy);
  if (spec.healthCheckNodePort) w.field(0, 'HealthCheck NodePort', String(spec.healthCheckNodePort));
}

/** kubectl's formatEndpointSlices: `ip:port` of ready endpoints for the port (by name), at most 3. */
export function formatEndpointSlices(slices: readonly EndpointSlice[], port: ServicePort | undefined): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  for (const slice of slices) {
    const ready = (slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false && e.addresses.length > 0);
    if (!port) {
      for (const e of ready) list.push(e.addresses[0]!);
      continue;
    }
    for (const sp of slice.ports ?? []) {
      if ((sp.name ?? '') !== (port.name ?? '')) continue;
      for (const e of ready) list.push(`${e.addresses[0]!}:${sp.port ?? ''}`);
    }
  }
  const shown = list.slice(0, 3).join(',');
  return list.length > 3 ? `${shown} + ${list.length - 3} more...` : shown;
}
