/**
 * What one pod contributes to a Service's endpoints, as Kubernetes' endpoint controllers compute
 * it (pkg/controller/util/endpoint, pkg/api/v1/pod.FindPort, endpointslice's podToEndpoint and
 * getEndpointPorts). Pure.
 */
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.d.ts';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.d.ts';

/** Not Succeeded/Failed, has an IP, and (unless `includeTerminating`) not being deleted: Kubernetes' ShouldPodBeInEndpoints. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!podIP(pod)) return false;
  return includeTerminating || !pod.metadata?.deletionTimestamp;
}

/** The pod's IPv4 address (`status.podIP`, else the first IPv4 of `status.podIPs`). */
export function podIP(pod: Pod): string | undefined {
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)];
  return ips.find((ip): ip is string => typeof ip === 'string' && ip !== '' && !ip.includes(':'));
}

/** The pod's Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * podutil.FindPort: the port number a service port's targetPort means on this pod — the number
 * itself, or the containerPort of the container port with that name and the service port's
 * protocol. Undefined when a name matches no container port.
 */
export function findPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  const protocol = servicePort.protocol ?? 'TCP';
  for (const container of [...(pod.spec?.containers ?? []), ...sidecars(pod)]) {
    for (const p of container.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  // An all-digit string targetPort is a number written as a string (intstr from YAML).
  return /^\d+$/.test(target) ? Number(target) : undefined;
}

/** Init containers with restartPolicy Always run beside the app containers (sidecars); their ports count too. */
function sidecars(pod: Pod) {
  return (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
}

/**
 * getEndpointPorts: one EndpointPort per service port this pod can serve, in service order;
 * ports whose named targetPort the pod does not declare are left out (so pods declaring
 * different numbers, or none, land in different slices).
 */
export function endpointPorts(service: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** ShouldSetHostname: the pod names a hostname and its subdomain is this Service (same namespace). */
export function shouldSetHostname(pod: Pod, service: Service): boolean {
  return Boolean(pod.spec?.hostname) && pod.spec?.subdomain === service.metadata?.name && pod.metadata?.namespace === service.metadata?.namespace;
}

/**
 * podToEndpoint: the slice endpoint of a pod. `serving` is readiness; a terminating pod is never
 * `ready` (unless the Service publishes not-ready addresses, which makes every endpoint ready).
 */
export function podToEndpoint(pod: Pod, service: Service, zone?: string): Endpoint {
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [podIP(pod) ?? ''],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (shouldSetHostname(pod, service)) ep.hostname = pod.spec?.hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  if (zone) ep.zone = zone;
  return ep;
}

/**
 * Whether a pod change can change any Service's endpoints (Kubernetes' podEndpointsChanged plus
 * label changes): its IP, readiness, deletion, phase, hostname/subdomain, node or container ports.
 */
export function podEndpointsChanged(oldPod: Pod, newPod: Pod): boolean {
  const facts = (p: Pod) =>
    JSON.stringify([
      podIP(p),
      isPodReady(p),
      Boolean(p.metadata?.deletionTimestamp),
      p.status?.phase,
      p.spec?.hostname,
      p.spec?.subdomain,
      p.spec?.nodeName,
      (p.spec?.containers ?? []).map((c) => c.ports ?? []),
      // The trigger time of a readiness change.
      (p.status?.conditions ?? []).find((c) => c.type === 'Ready')?.lastTransitionTime,
    ]);
  return facts(oldPod) !== facts(newPod);
}
