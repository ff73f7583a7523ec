/**
 * Service environment variables (pkg/kubelet/envvars): for the `kubernetes` Service of the
 * `default` namespace always, and for every Service of the pod's namespace when
 * `enableServiceLinks` is on (the default): `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`
 * (`_<PORT NAME>` per named port) and the Docker-link style `<NAME>_PORT…` variables. Services
 * without a ClusterIP (headless, ExternalName) give none.
 */
import { isRecord, optionalRecord, recordList, type JsonObject } from '../../src/api/object.ts';
import { ContainerConfigError } from '../../src/actors/pod/config-errors.ts';
import type { ClusterObjects } from '../cluster-objects.ts';

/** Services the kubelet always exposes, from the `default` namespace. */
const MASTER_SERVICES = new Set(['kubernetes']);

function envName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

function clusterIPOf(service: JsonObject): string | undefined {
  const ip = optionalRecord(service, 'spec')?.clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None' ? ip : undefined;
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The variables of one Service (`envvars.FromServices` for one). */
export function serviceVariables(service: JsonObject): Record<string, string> {
  const ip = clusterIPOf(service);
  const ports = recordList(optionalRecord(service, 'spec'), 'ports').filter((p) => typeof p.port === 'number');
  const name = String(optionalRecord(service, 'metadata')?.name ?? '');
  if (ip === undefined || ports.length === 0) return {};
  const prefix = envName(name);
  const out: Record<string, string> = {};
  out[`${prefix}_SERVICE_HOST`] = ip;
  const servicePort = `${prefix}_SERVICE_PORT`;
  out[servicePort] = String(ports[0]!.port);
  for (const p of ports) if (typeof p.name === 'string' && p.name !== '') out[`${servicePort}_${envName(p.name)}`] = String(p.port);
  ports.forEach((p, i) => {
    const protocol = typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol : 'TCP';
    const port = p.port as number;
    const url = `${protocol.toLowerCase()}://${hostPort(ip, port)}`;
    if (i === 0) out[`${prefix}_PORT`] = url;
    const portPrefix = `${prefix}_PORT_${port}_${protocol.toUpperCase()}`;
    out[portPrefix] = url;
    out[`${portPrefix}_PROTO`] = protocol.toLowerCase();
    out[`${portPrefix}_PORT`] = String(port);
    out[`${portPrefix}_ADDR`] = ip;
  });
  return out;
}

/**
 * The service variables of a pod in `namespace` (`getServiceEnvVarMap`); none without any view
 * of the cluster (`objects` absent). Until the node has
 * listed Services it throws the kubelet's ContainerConfigError: a container is not started
 * without these variables.
 */
export function serviceEnvFor(objects: ClusterObjects | undefined, namespace: string, enableServiceLinks: boolean): Record<string, string> {
  // A node with no view of the cluster at all sets none (as a kubelet without a master).
  if (!objects) return {};
  if (!objects.synced('services')) throw new ContainerConfigError('services have not yet been read at least once, cannot construct envvars');
  const chosen = new Map<string, JsonObject>();
  for (const service of objects.list('services')) {
    const meta = isRecord(service.metadata) ? service.metadata : {};
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (clusterIPOf(service) === undefined) continue;
    if (meta.namespace === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, service);
    } else if (meta.namespace === namespace && enableServiceLinks) {
      chosen.set(name, service);
    }
  }
  return Object.assign({}, ...[...chosen.values()].map(serviceVariables)) as Record<string, string>;
}
