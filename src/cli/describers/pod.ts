/**
 * `describe pod`: what kubectl shows for a Pod: where it runs, its phase and IP, each
 * container's image, ports, state, readiness and restarts, conditions, and events.
 */
import type { Container, ContainerState, ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import type { DescribeWriter } from './writer.ts';

export function describePod(w: DescribeWriter, pod: Pod): void {
  const spec = pod.spec;
  const status = pod.status;
  w.field(0, 'Priority', String(spec?.priority ?? 0));
  w.field(0, 'Service Account', spec?.serviceAccountName ?? 'default');
  w.field(0, 'Node', spec?.nodeName ? `${spec.nodeName}/${status?.hostIP ?? ''}` : '<none>');
  if (status?.startTime) w.field(0, 'Start Time', new Date(status.startTime).toUTCString());
  w.field(0, 'Status', pod.metadata?.deletionTimestamp ? 'Terminating' : (status?.phase ?? 'Pending'));
  if (status?.reason) w.field(0, 'Reason', status.reason);
  if (status?.message) w.field(0, 'Message', status.message);
  w.field(0, 'IP', status?.podIP ?? '');
  const ips = status?.podIPs?.flatMap((p) => (p.ip ? [p.ip] : [])) ?? [];
  if (ips.length === 0) w.field(0, 'IPs', '<none>');
  else {
    w.text(0, 'IPs:');
    for (const ip of ips) w.field(1, 'IP', ip);
  }
  if (spec?.initContainers?.length) writeContainers(w, 'Init Containers', spec.initContainers, status?.initContainerStatuses);
  writeContainers(w, 'Containers', spec?.containers ?? [], status?.containerStatuses);
  writeConditions(w, pod);
  w.field(0, 'Volumes', spec?.volumes?.length ? spec.volumes.map((v) => v.name).join(', ') : '<none>');
  w.map(0, 'Node-Selectors', spec?.nodeSelector, '=');
  const tolerations = spec?.tolerations?.map((t) => `${t.key ?? ''}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}:${t.effect ?? ''}`);
  w.field(0, 'Tolerations', tolerations?.length ? tolerations.join('\n') : '<none>');
}

function writeContainers(w: DescribeWriter, title: string, containers: Container[], statuses: ContainerStatus[] | undefined): void {
  w.text(0, `${title}:`);
  for (const c of containers) {
    const st = statuses?.find((s) => s.name === c.name);
    w.text(1, `${c.name}:`);
    if (st?.containerID) w.field(2, 'Container ID', st.containerID);
    w.field(2, 'Image', c.image ?? '');
    if (st?.imageID) w.field(2, 'Image ID', st.imageID);
    const ports = c.ports?.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`) ?? [];
    w.field(2, ports.length > 1 ? 'Ports' : 'Port', ports.length ? ports.join(', ') : '<none>');
    if (c.command?.length) w.field(2, 'Command', c.command.join('\n'));
    if (c.args?.length) w.field(2, 'Args', c.args.join('\n'));
    writeState(w, 'State', st?.state);
    if (st?.lastState && Object.keys(st.lastState).length > 0) writeState(w, 'Last State', st.lastState);
    w.field(2, 'Ready', st?.ready ? 'True' : 'False');
    w.field(2, 'Restart Count', String(st?.restartCount ?? 0));
    const env = c.env?.map((e) => `${e.name}=${e.value ?? '<from source>'}`) ?? [];
    w.field(2, 'Environment', env.length ? env.join('\n') : '<none>');
  }
}

function writeState(w: DescribeWriter, label: string, state: ContainerState | undefined): void {
  if (state?.running) {
    w.field(2, label, 'Running');
    if (state.running.startedAt) w.field(3, 'Started', new Date(state.running.startedAt).toUTCString());
  } else if (state?.terminated) {
    w.field(2, label, 'Terminated');
    if (state.terminated.reason) w.field(3, 'Reason', state.terminated.reason);
    w.field(3, 'Exit Code', String(state.terminated.exitCode));
    if (state.terminated.startedAt) w.field(3, 'Started', new Date(state.terminated.startedAt).toUTCString());
    if (state.terminated.finishedAt) w.field(3, 'Finished', new Date(state.terminated.finishedAt).toUTCString());
  } else {
    w.field(2, label, 'Waiting');
    if (state?.waiting?.reason) w.field(3, 'Reason', state.waiting.reason);
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
