/**
 * `describe pod`: what kubectl shows for a Pod, in its order and wording: where it runs, its
 * phase and IP, each container's image, ports, state and last state (waiting reason, exit code
 * and reason), readiness, restarts, resources, probes, environment and mounts, then conditions,
 * volumes, QoS class, node selectors and tolerations. Times are RFC 1123 with a numeric zone,
 * as kubectl prints them.
 */
import type { Container, ContainerState, ContainerStatus, Pod, Probe, ResourceRequirements, Volume } from 'kubernetes-types/core/v1.js';
import type { DescribeWriter } from './writer.ts';

export function describePod(w: DescribeWriter, pod: Pod): void {
  const spec = pod.spec;
  const status = pod.status;
  w.field(0, 'Priority', String(spec?.priority ?? 0));
  w.field(0, 'Service Account', spec?.serviceAccountName ?? 'default');
  w.field(0, 'Node', spec?.nodeName ? `${spec.nodeName}/${status?.hostIP ?? ''}` : '<none>');
  if (status?.startTime) w.field(0, 'Start Time', rfc1123z(status.startTime));
  w.field(0, 'Status', pod.metadata?.deletionTimestamp ? 'Terminating' : (status?.phase ?? 'Pending'));
  if (pod.metadata?.deletionTimestamp) {
    w.field(0, 'Termination Grace Period', `${pod.metadata.deletionGracePeriodSeconds ?? spec?.terminationGracePeriodSeconds ?? 30}s`);
  }
  if (status?.reason) w.field(0, 'Reason', status.reason);
  if (status?.message) w.field(0, 'Message', status.message);
  w.field(0, 'IP', status?.podIP ?? '');
  const ips = status?.podIPs?.flatMap((p) => (p.ip ? [p.ip] : [])) ?? [];
  if (ips.length === 0) w.field(0, 'IPs', '<none>');
  else {
    w.text(0, 'IPs:');
    for (const ip of ips) w.field(1, 'IP', ip);
  }
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (owner) w.field(0, 'Controlled By', `${owner.kind}/${owner.name}`);
  if (spec?.initContainers?.length) writeContainers(w, 'Init Containers', spec.initContainers, status?.initContainerStatuses);
  writeContainers(w, 'Containers', spec?.containers ?? [], status?.containerStatuses);
  writeConditions(w, pod);
  writeVolumes(w, spec?.volumes ?? []);
  w.field(0, 'QoS Class', status?.qosClass ?? qosClass(pod));
  w.map(0, 'Node-Selectors', spec?.nodeSelector, '=');
  // kubectl: key[=value][:effect][ op=Exists][ for Ns]
  const tolerations = spec?.tolerations?.map((t) => {
    let text = `${t.key ?? ''}${t.value ? `=${t.value}` : ''}${t.effect ? `:${t.effect}` : ''}`;
    if (t.operator === 'Exists' && !t.value) text += text ? ' op=Exists' : 'op=Exists';
    return t.tolerationSeconds !== undefined ? `${text} for ${t.tolerationSeconds}s` : text;
  });
  w.field(0, 'Tolerations', tolerations?.length ? tolerations.join('\n') : '<none>');
}

function writeContainers(w: DescribeWriter, title: string, containers: Container[], statuses: ContainerStatus[] | undefined): void {
  w.text(0, `${title}:`);
  for (const c of containers) {
    const st = statuses?.find((s) => s.name === c.name);
    w.text(1, `${c.name}:`);
    // kubectl prints the ids whenever the container has a status, even empty ones.
    if (st) w.field(2, 'Container ID', st.containerID ?? '');
    w.field(2, 'Image', c.image ?? '');
    if (st) w.field(2, 'Image ID', st.imageID);
    const ports = c.ports?.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`) ?? [];
    w.field(2, ports.length > 1 ? 'Ports' : 'Port', ports.length ? ports.join(', ') : '<none>');
    const hostPorts = c.ports?.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`) ?? [];
    w.field(2, hostPorts.length > 1 ? 'Host Ports' : 'Host Port', hostPorts.length ? hostPorts.join(', ') : '<none>');
    if (c.command?.length) w.field(2, 'Command', c.command.join('\n'));
    if (c.args?.length) w.field(2, 'Args', c.args.join('\n'));
    writeState(w, 'State', st?.state);
    if (st?.lastState?.terminated) writeState(w, 'Last State', st.lastState);
    w.field(2, 'Ready', st?.ready ? 'True' : 'False');
    w.field(2, 'Restart Count', String(st?.restartCount ?? 0));
    writeResources(w, c.resources);
    if (c.livenessProbe) w.field(2, 'Liveness', describeProbe(c.livenessProbe));
    if (c.readinessProbe) w.field(2, 'Readiness', describeProbe(c.readinessProbe));
    if (c.startupProbe) w.field(2, 'Startup', describeProbe(c.startupProbe));
    writeEnvironment(w, c);
    const mounts = c.volumeMounts?.map((m) => `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'}${m.subPath ? `,path="${m.subPath}"` : ''})`) ?? [];
    if (mounts.length === 0) w.field(2, 'Mounts', '<none>');
    else {
      w.text(2, 'Mounts:');
      for (const m of mounts) w.text(3, m);
    }
  }
}

/** State or Last State: Running (started), Terminated (reason, message, exit code, times), else Waiting (reason). */
function writeState(w: DescribeWriter, label: string, state: ContainerState | undefined): void {
  if (state?.running) {
    w.field(2, label, 'Running');
    if (state.running.startedAt) w.field(3, 'Started', rfc1123z(state.running.startedAt));
  } else if (state?.terminated) {
    const t = state.terminated;
    w.field(2, label, 'Terminated');
    if (t.reason) w.field(3, 'Reason', t.reason);
    if (t.message) w.field(3, 'Message', t.message);
    w.field(3, 'Exit Code', String(t.exitCode));
    if (t.signal) w.field(3, 'Signal', String(t.signal));
    if (t.startedAt) w.field(3, 'Started', rfc1123z(t.startedAt));
    if (t.finishedAt) w.field(3, 'Finished', rfc1123z(t.finishedAt));
  } else {
    w.field(2, label, 'Waiting');
    if (state?.waiting?.reason) w.field(3, 'Reason', state.waiting.reason);
  }
}

function writeResources(w: DescribeWriter, resources: ResourceRequirements | undefined): void {
  for (const [title, values] of [
    ['Limits', resources?.limits],
    ['Requests', resources?.requests],
  ] as const) {
    const entries = Object.entries(values ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) continue;
    w.text(2, `${title}:`);
    for (const [k, v] of entries) w.field(3, k, String(v));
  }
}

/** kubectl's probe line: `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`. */
function describeProbe(p: Probe): string {
  let action = 'unknown';
  if (p.exec) action = `exec [${(p.exec.command ?? []).join(' ')}]`;
  else if (p.httpGet) action = `http-get ${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://${p.httpGet.host ?? ''}:${p.httpGet.port}${p.httpGet.path ?? ''}`;
  else if (p.tcpSocket) action = `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port}`;
  else if (p.grpc) action = `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''}`;
  return `${action} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

function writeEnvironment(w: DescribeWriter, c: Container): void {
  const env = c.env ?? [];
  const from = c.envFrom ?? [];
  if (from.length > 0) {
    w.text(2, 'Environment Variables from:');
    for (const f of from) {
      const [name, kind] = f.configMapRef ? [f.configMapRef.name, 'ConfigMap'] : [f.secretRef?.name, 'Secret'];
      const optional = (f.configMapRef ?? f.secretRef)?.optional ?? false;
      w.field(3, name ?? '', `${kind}${f.prefix ? ` with prefix '${f.prefix}'` : ''}  Optional: ${optional}`);
    }
  }
  if (env.length === 0) {
    w.field(2, 'Environment', '<none>');
    return;
  }
  w.text(2, 'Environment:');
  for (const e of env) {
    const src = e.valueFrom;
    let value = e.value ?? '';
    if (src?.configMapKeyRef) value = `<set to the key '${src.configMapKeyRef.key}' of config map '${src.configMapKeyRef.name ?? ''}'>  Optional: ${src.configMapKeyRef.optional ?? false}`;
    else if (src?.secretKeyRef) value = `<set to the key '${src.secretKeyRef.key}' in secret '${src.secretKeyRef.name ?? ''}'>  Optional: ${src.secretKeyRef.optional ?? false}`;
    else if (src?.fieldRef) value = `(${src.fieldRef.apiVersion ?? 'v1'}:${src.fieldRef.fieldPath})`;
    else if (src?.resourceFieldRef) value = `${src.resourceFieldRef.resource} (${src.resourceFieldRef.containerName ?? c.name})`;
    w.field(3, e.name, value);
  }
}

function writeVolumes(w: DescribeWriter, volumes: Volume[]): void {
  if (volumes.length === 0) {
    w.field(0, 'Volumes', '<none>');
    return;
  }
  w.text(0, 'Volumes:');
  for (const v of volumes) {
    w.text(1, `${v.name}:`);
    if (v.emptyDir) {
      w.field(2, 'Type', "EmptyDir (a temporary directory that shares a pod's lifetime)");
      w.field(2, 'Medium', v.emptyDir.medium ?? '');
      w.field(2, 'SizeLimit', v.emptyDir.sizeLimit !== undefined ? String(v.emptyDir.sizeLimit) : '<unset>');
    } else if (v.configMap) {
      w.field(2, 'Type', 'ConfigMap (a volume populated by a ConfigMap)');
      w.field(2, 'Name', v.configMap.name ?? '');
      w.field(2, 'Optional', String(v.configMap.optional ?? false));
    } else if (v.secret) {
      w.field(2, 'Type', 'Secret (a volume populated by a Secret)');
      w.field(2, 'SecretName', v.secret.secretName ?? '');
      w.field(2, 'Optional', String(v.secret.optional ?? false));
    } else if (v.persistentVolumeClaim) {
      w.field(2, 'Type', 'PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)');
      w.field(2, 'ClaimName', v.persistentVolumeClaim.claimName);
      w.field(2, 'ReadOnly', String(v.persistentVolumeClaim.readOnly ?? false));
    } else if (v.hostPath) {
      w.field(2, 'Type', 'HostPath (bare host directory volume)');
      w.field(2, 'Path', v.hostPath.path);
      w.field(2, 'HostPathType', v.hostPath.type ?? '');
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name');
      w.field(2, 'Type', kind ? `${kind.charAt(0).toUpperCase()}${kind.slice(1)}` : '<unknown>');
    }
  }
}

function writeConditions(w: DescribeWriter, pod: Pod): void {
  const conditions = pod.status?.conditions ?? [];
  if (conditions.length === 0) {
    w.field(0, 'Conditions', '<none>');
    return;
  }
  w.text(0, 'Conditions:');
  const width = Math.max(4, ...conditions.map((c) => c.type.length)) + 3;
  w.text(1, 'Type'.padEnd(width) + 'Status');
  for (const c of conditions) w.text(1, c.type.padEnd(width) + c.status);
}

/**
 * The pod's QoS class when the status does not carry one: Guaranteed when every container limits
 * cpu and memory and requests equal limits, BestEffort when nothing requests or limits either,
 * Burstable otherwise.
 */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const tracked = (r: Record<string, unknown> | undefined) => Object.keys(r ?? {}).filter((k) => k === 'cpu' || k === 'memory');
  if (containers.every((c) => tracked(c.resources?.requests).length === 0 && tracked(c.resources?.limits).length === 0)) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    return ['cpu', 'memory'].every((k) => limits[k] !== undefined && (requests[k] === undefined || String(requests[k]) === String(limits[k])));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Go's RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(time: string): string {
  return new Date(time).toUTCString().replace(/GMT$/, '+0000');
}
