/**
 * One printer per kind, mirroring Kubernetes' pkg/printers/internalversion/printers.go: the
 * column list and how each row's cells are computed. Objects are read through kubernetes-types
 * (they come from the store, already validated).
 */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet, ControllerRevision } from 'kubernetes-types/apps/v1.d.ts';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.d.ts';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.d.ts';
import type { Lease } from 'kubernetes-types/coordination/v1.d.ts';
import type { Endpoint as DiscoveryEndpoint, EndpointPort as DiscoveryPort, EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type {
  ConfigMap,
  Container,
  Endpoints,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReplicationController,
  ResourceQuota,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-types/core/v1.d.ts';
import type { Event as EventV1 } from 'kubernetes-types/events/v1.d.ts';
import type { StorageClass } from 'kubernetes-types/storage/v1.d.ts';
import type { LabelSelector as LabelSelectorV1 } from 'kubernetes-types/meta/v1.d.ts';
import { toStoredVersion } from '../conversion.ts';
import { apiVersionOf, findResource, type ResourceInfo } from '../kinds.ts';
import type { KubeObject } from '../object.ts';
import { LabelSelector } from '../selectors.ts';
import type { TableColumnDefinition, TableRowCondition } from '../table.ts';
import { age, humanDuration } from './duration.ts';
import { rbacPrinters } from './rbac-printers.ts';

type Cell = string | number | boolean;
type Column = Pick<TableColumnDefinition, 'name'> & Partial<TableColumnDefinition>;

export interface Printer {
  columns: Column[];
  cells(obj: KubeObject, now: Date): Cell[];
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
}

const NAME: Column = {
  name: 'Name',
  format: 'name',
  description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
};
const AGE: Column = {
  name: 'Age',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
};
const wide = (name: string, description = ''): Column => ({ name, priority: 1, description });
const int = (name: string, description = ''): Column => ({ name, type: 'integer', description });
const CONTAINERS = wide('Containers', 'Names of each container in the template.');
const IMAGES = wide('Images', 'Images referenced by each container in the template.');
const SELECTOR = wide('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.');

/** A stored object read as its kubernetes-types shape (types whose required fields KubeObject lacks). */
const view = <T>(obj: KubeObject): T => obj as unknown as T;

/** Generic row start and end: name first, age last. */
const nameOf = (obj: KubeObject): string => obj.metadata?.name ?? '';
const ageOf = (obj: KubeObject, now: Date): string => age(obj.metadata?.creationTimestamp, now);

/** kubectl's `<none>` for empty strings. */
const orNone = (v: string | undefined): string => (v ? v : '<none>');

function containerCells(containers: readonly Container[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}

function selectorString(sel: LabelSelectorV1 | undefined): string {
  if (!sel) return '<none>';
  const text = LabelSelector.fromObject(sel).toString();
  return text === '' ? '<none>' : text;
}

/** `labels.FormatLabels`: sorted `k=v` pairs, `<none>` when empty. */
function formatLabels(labels: Record<string, string> | undefined): string {
  const text = LabelSelector.fromSet(labels).toString();
  return text === '' ? '<none>' : text;
}

const POD_SUCCEEDED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
const POD_FAILED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

const podPrinter: Printer = {
  columns: [
    NAME,
    { name: 'Ready', description: 'The aggregate readiness state of this pod for accepting traffic.' },
    { name: 'Status', description: 'The aggregate status of the containers in this pod.' },
    { name: 'Restarts', description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.' },
    AGE,
    wide('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
    wide('Node', 'NodeName indicates in which node this pod is scheduled.'),
    wide('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.'),
    wide('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.'),
  ],
  cells: (obj, now) => podCells(obj as Pod, now),
  conditions: (obj) => {
    const phase = (obj as Pod).status?.phase;
    return phase === 'Succeeded' ? POD_SUCCEEDED : phase === 'Failed' ? POD_FAILED : undefined;
  },
};

/** printPod: READY, STATUS (reason/phase/container states), RESTARTS with the last restart's age. */
function podCells(pod: Pod, now: Date): Cell[] {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const initSpecs = new Map((spec?.initContainers ?? []).map((c) => [c.name, c]));
  const isSidecar = (name: string): boolean => initSpecs.get(name)?.restartPolicy === 'Always';
  let total = spec?.containers?.length ?? 0;
  for (const c of spec?.initContainers ?? []) if (c.restartPolicy === 'Always') total++;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  let reason: string = status.reason || status.phase || '';
  for (const c of status.conditions ?? []) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initStatuses = status.initContainerStatuses ?? [];
  const initCount = spec?.initContainers?.length ?? 0;
  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount ?? 0;
    const finished = Date.parse(c.lastState?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(finished)) lastRestart = Math.max(lastRestart, finished);
    if (isSidecar(c.name)) {
      sidecarRestarts += c.restartCount ?? 0;
      if (!Number.isNaN(finished)) lastSidecarRestart = Math.max(lastSidecarRestart, finished);
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (isSidecar(c.name) && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (terminated) {
      reason = terminated.reason
        ? `Init:${terminated.reason}`
        : terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount ?? 0;
      const finished = Date.parse(c.lastState?.terminated?.finishedAt ?? '');
      if (!Number.isNaN(finished)) lastRestart = Math.max(lastRestart, finished);
      const waiting = c.state?.waiting;
      const terminated = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';

  const restartsText = restarts !== 0 && lastRestart > 0 ? `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)` : String(restarts);
  const podIP = status.podIPs?.[0]?.ip || status.podIP || '';
  let gates = '<none>';
  const readinessGates = spec?.readinessGates ?? [];
  if (readinessGates.length > 0) {
    const trueCount = readinessGates.filter((g) => (status.conditions ?? []).find((c) => c.type === g.conditionType)?.status === 'True').length;
    gates = `${trueCount}/${readinessGates.length}`;
  }
  return [
    nameOf(pod as KubeObject),
    `${ready}/${total}`,
    reason,
    restartsText,
    ageOf(pod as KubeObject, now),
    orNone(podIP),
    orNone(spec?.nodeName),
    orNone(status.nominatedNodeName),
    gates,
  ];
}

const nodePrinter: Printer = {
  columns: [
    NAME,
    { name: 'Status', description: 'The status of the node' },
    { name: 'Roles', description: 'The roles of the node' },
    AGE,
    { name: 'Version', description: 'Kubelet Version reported by the node.' },
    wide('Internal-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.'),
    wide('External-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.'),
    wide('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
    wide('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    wide('Container-Runtime', 'Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
  ],
  cells: (obj, now) => {
    const node = obj as Node;
    const states: string[] = [];
    const readyCondition = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (readyCondition) states.push(readyCondition.status === 'True' ? 'Ready' : 'NotReady');
    if (states.length === 0) states.push('Unknown');
    if (node.spec?.unschedulable) states.push('SchedulingDisabled');
    const info = node.status?.nodeInfo;
    const address = (type: string): string => orNone(node.status?.addresses?.find((a) => a.type === type)?.address);
    const unknown = (v: string | undefined): string => (v ? v : '<unknown>');
    return [
      nameOf(obj),
      states.join(','),
      orNone(nodeRoles(node.metadata?.labels).join(',')),
      ageOf(obj, now),
      info?.kubeletVersion ?? '',
      address('InternalIP'),
      address('ExternalIP'),
      unknown(info?.osImage),
      unknown(info?.kernelVersion),
      unknown(info?.containerRuntimeVersion),
    ];
  },
};

/** Roles from `node-role.kubernetes.io/<role>` labels and the legacy `kubernetes.io/role`. */
function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

const namespacePrinter: Printer = {
  columns: [NAME, { name: 'Status', description: 'The status of the namespace' }, AGE],
  cells: (obj, now) => [nameOf(obj), (obj as Namespace).status?.phase ?? '', ageOf(obj, now)],
};

const configMapPrinter: Printer = {
  columns: [NAME, int('Data', 'Data contains the configuration data.'), AGE],
  cells: (obj, now) => {
    const cm = obj as ConfigMap;
    return [nameOf(obj), Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, ageOf(obj, now)];
  },
};

const secretPrinter: Printer = {
  columns: [NAME, { name: 'Type', description: 'Used to facilitate programmatic handling of secret data.' }, int('Data', 'Data contains the secret data.'), AGE],
  cells: (obj, now) => {
    const s = obj as Secret;
    return [nameOf(obj), s.type ?? '', Object.keys(s.data ?? {}).length, ageOf(obj, now)];
  },
};

const EVENT_COLUMNS: Column[] = [
  { name: 'Last Seen', description: 'The time at which the most recent occurrence of this event was recorded.' },
  { name: 'Type', description: 'Type of this event (Normal, Warning), new types could be added in the future.' },
  { name: 'Reason', description: 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.' },
  { name: 'Object', description: 'The object that this event is about.' },
  wide('Subobject', 'The subobject (fieldPath) this event is about.'),
  wide('Source', 'The component reporting this event.'),
  { name: 'Message', description: 'A human-readable description of the status of this operation.' },
  wide('First Seen', 'The time at which the event was first recorded.'),
  { ...int('Count', 'The number of times this event has occurred.'), priority: 1 },
  wide('Name', NAME.description),
];

interface EventView {
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  seriesLast?: string;
  seriesCount?: number;
  count?: number;
  type?: string;
  reason?: string;
  kind?: string;
  name?: string;
  fieldPath?: string;
  component?: string;
  host?: string;
  message?: string;
}

/** Both Event APIs print alike (Kubernetes converts events.k8s.io Events to core ones to print). */
function eventCells(obj: KubeObject, e: EventView, now: Date): Cell[] {
  let first = age(e.firstTimestamp, now);
  if (!e.firstTimestamp) first = age(e.eventTime, now);
  let last = e.lastTimestamp ? age(e.lastTimestamp, now) : first;
  let count = e.count ?? 0;
  if (e.seriesLast !== undefined) {
    last = age(e.seriesLast, now);
    count = e.seriesCount ?? count;
  } else if (count === 0) {
    count = 1;
  }
  const target = e.name ? `${(e.kind ?? '').toLowerCase()}/${e.name}` : (e.kind ?? '').toLowerCase();
  const source = e.component ? [e.component, ...(e.host ? [e.host] : [])].join(', ') : '';
  return [last, e.type ?? '', e.reason ?? '', target, e.fieldPath ?? '', source, (e.message ?? '').trim(), first, count, nameOf(obj)];
}

const coreEventPrinter: Printer = {
  columns: EVENT_COLUMNS,
  cells: (obj, now) => {
    const e = view<Event>(obj);
    return eventCells(
      obj,
      {
        firstTimestamp: e.firstTimestamp,
        lastTimestamp: e.lastTimestamp,
        eventTime: e.eventTime,
        seriesLast: e.series?.lastObservedTime,
        seriesCount: e.series?.count,
        count: e.count,
        type: e.type,
        reason: e.reason,
        kind: e.involvedObject?.kind,
        name: e.involvedObject?.name,
        fieldPath: e.involvedObject?.fieldPath,
        component: e.source?.component || e.reportingComponent,
        host: e.source?.host || e.reportingInstance,
        message: e.message,
      },
      now,
    );
  },
};

const eventsV1Printer: Printer = {
  columns: EVENT_COLUMNS,
  cells: (obj, now) => {
    const e = view<EventV1>(obj);
    return eventCells(
      obj,
      {
        firstTimestamp: e.deprecatedFirstTimestamp,
        lastTimestamp: e.deprecatedLastTimestamp,
        eventTime: e.eventTime,
        seriesLast: e.series?.lastObservedTime,
        seriesCount: e.series?.count,
        count: e.deprecatedCount,
        type: e.type,
        reason: e.reason,
        kind: e.regarding?.kind,
        name: e.regarding?.name,
        fieldPath: e.regarding?.fieldPath,
        component: e.deprecatedSource?.component || e.reportingController,
        host: e.deprecatedSource?.host || e.reportingInstance,
        message: e.note,
      },
      now,
    );
  },
};

const deploymentPrinter: Printer = {
  columns: [
    NAME,
    { name: 'Ready', description: 'Number of the pod with ready state' },
    int('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    int('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells: (obj, now) => {
    const d = obj as Deployment;
    const s = d.status ?? {};
    return [
      nameOf(obj),
      `${s.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      s.updatedReplicas ?? 0,
      s.availableReplicas ?? 0,
      ageOf(obj, now),
      ...containerCells(d.spec?.template?.spec?.containers),
      selectorString(d.spec?.selector),
    ];
  },
};

const REPLICA_COLUMNS: Column[] = [
  NAME,
  int('Desired', 'Replicas is the number of desired replicas.'),
  int('Current', 'Replicas is the most recently observed number of replicas.'),
  int('Ready', 'The number of ready replicas for this replica set.'),
  AGE,
  CONTAINERS,
  IMAGES,
  SELECTOR,
];

const replicaSetPrinter: Printer = {
  columns: REPLICA_COLUMNS,
  cells: (obj, now) => {
    const rs = obj as ReplicaSet;
    const s = rs.status;
    return [
      nameOf(obj),
      rs.spec?.replicas ?? 0,
      s?.replicas ?? 0,
      s?.readyReplicas ?? 0,
      ageOf(obj, now),
      ...containerCells(rs.spec?.template?.spec?.containers),
      selectorString(rs.spec?.selector),
    ];
  },
};

const replicationControllerPrinter: Printer = {
  columns: REPLICA_COLUMNS,
  cells: (obj, now) => {
    const rc = obj as ReplicationController;
    const s = rc.status;
    return [
      nameOf(obj),
      rc.spec?.replicas ?? 0,
      s?.replicas ?? 0,
      s?.readyReplicas ?? 0,
      ageOf(obj, now),
      ...containerCells(rc.spec?.template?.spec?.containers),
      formatLabels(rc.spec?.selector),
    ];
  },
};

const statefulSetPrinter: Printer = {
  columns: [NAME, { name: 'Ready', description: 'Number of the pod with ready state' }, AGE, CONTAINERS, IMAGES],
  cells: (obj, now) => {
    const sts = obj as StatefulSet;
    return [
      nameOf(obj),
      `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`,
      ageOf(obj, now),
      ...containerCells(sts.spec?.template?.spec?.containers),
    ];
  },
};

const daemonSetPrinter: Printer = {
  columns: [
    NAME,
    int('Desired', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
    int('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    int('Ready', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    int('Up-to-date', 'The total number of nodes that are running updated daemon pod'),
    int('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
    { name: 'Node Selector', description: 'NodeSelector is a selector which must be true for the pod to fit on a node.' },
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells: (obj, now) => {
    const ds = obj as DaemonSet;
    const s = ds.status;
    return [
      nameOf(obj),
      s?.desiredNumberScheduled ?? 0,
      s?.currentNumberScheduled ?? 0,
      s?.numberReady ?? 0,
      s?.updatedNumberScheduled ?? 0,
      s?.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      ageOf(obj, now),
      ...containerCells(ds.spec?.template?.spec?.containers),
      selectorString(ds.spec?.selector),
    ];
  },
};

const jobPrinter: Printer = {
  columns: [
    NAME,
    { name: 'Status', description: 'Status of the job.' },
    { name: 'Completions', description: 'The desired number of successfully finished pods the job should be run with.' },
    { name: 'Duration', description: 'Time required to complete the job.' },
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells: (obj, now) => {
    const job = obj as Job;
    const spec = job.spec;
    const s = job.status ?? {};
    const succeeded = s.succeeded ?? 0;
    let completions: string;
    if (spec?.completions !== undefined) completions = `${succeeded}/${spec.completions}`;
    else if ((spec?.parallelism ?? 0) > 1) completions = `${succeeded}/1 of ${spec?.parallelism}`;
    else completions = `${succeeded}/1`;
    let duration = '';
    const start = s.startTime ? Date.parse(s.startTime) : NaN;
    if (!Number.isNaN(start)) {
      const end = s.completionTime ? Date.parse(s.completionTime) : now.getTime();
      duration = humanDuration(end - start);
    }
    const has = (type: string): boolean => (s.conditions ?? []).some((c) => c.type === type && c.status === 'True');
    let status = 'Running';
    if (has('Complete')) status = 'Complete';
    else if (has('Failed')) status = 'Failed';
    else if (job.metadata?.deletionTimestamp) status = 'Terminating';
    else if (has('Suspended')) status = 'Suspended';
    else if (has('FailureTarget')) status = 'FailureTarget';
    else if (has('SuccessCriteriaMet')) status = 'SuccessCriteriaMet';
    return [
      nameOf(obj),
      status,
      completions,
      duration,
      ageOf(obj, now),
      ...containerCells(spec?.template?.spec?.containers),
      selectorString(spec?.selector),
    ];
  },
};

const cronJobPrinter: Printer = {
  columns: [
    NAME,
    { name: 'Schedule', description: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.' },
    { name: 'Timezone', description: 'The time zone name for the given schedule.' },
    { name: 'Suspend', description: 'This flag tells the controller to suspend subsequent executions.' },
    int('Active', 'A list of pointers to currently running jobs.'),
    { name: 'Last Schedule', description: 'Information when was the last time the job was successfully scheduled.' },
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells: (obj, now) => {
    const cj = obj as CronJob;
    const suspend = cj.spec?.suspend;
    const jobSpec = cj.spec?.jobTemplate?.spec;
    return [
      nameOf(obj),
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      suspend === undefined ? '<unset>' : suspend ? 'True' : 'False',
      cj.status?.active?.length ?? 0,
      cj.status?.lastScheduleTime ? age(cj.status.lastScheduleTime, now) : '<none>',
      ageOf(obj, now),
      ...containerCells(jobSpec?.template?.spec?.containers),
      selectorString(jobSpec?.selector),
    ];
  },
};

const servicePrinter: Printer = {
  columns: [
    NAME,
    { name: 'Type', description: 'type determines how the Service is exposed.' },
    { name: 'Cluster-IP', description: 'clusterIP is the IP address of the service and is usually assigned randomly.' },
    { name: 'External-IP', description: 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.' },
    { name: 'Port(s)', description: 'The list of ports that are exposed by this service.' },
    AGE,
    wide('Selector', 'Route service traffic to pods with label keys and values matching this selector.'),
  ],
  cells: (obj, now) => {
    const svc = obj as Service;
    const spec = svc.spec ?? {};
    const ports = (spec.ports ?? [])
      .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`))
      .join(',');
    return [
      nameOf(obj),
      spec.type ?? '',
      orNone(spec.clusterIPs?.[0] ?? spec.clusterIP),
      serviceExternalIP(svc),
      orNone(ports),
      ageOf(obj, now),
      formatLabels(spec.selector),
    ];
  },
};

function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
      const all = [...ingress, ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

const hpaPrinter: Printer = {
  columns: [
    NAME,
    { name: 'Reference', description: 'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.' },
    { name: 'Targets', description: 'metrics contains the specifications for which to use to calculate the desired replica count.' },
    { name: 'MinPods', description: 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.' },
    int('MaxPods', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    int('Replicas', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    AGE,
  ],
  cells: (obj, now) => {
    const hpa = obj as HorizontalPodAutoscaler;
    const ref = hpa.spec?.scaleTargetRef;
    return [
      nameOf(obj),
      `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
      hpaTargets(hpa.spec?.metrics ?? [], hpa.status?.currentMetrics ?? []),
      hpa.spec?.minReplicas === undefined ? '<unset>' : String(hpa.spec.minReplicas),
      hpa.spec?.maxReplicas ?? 0,
      hpa.status?.currentReplicas ?? 0,
      ageOf(obj, now),
    ];
  },
};

/** `cpu: 45%/80%` per resource metric; at most two shown, then `+ N more...`. */
function hpaTargets(specs: readonly MetricSpec[], statuses: readonly MetricStatus[]): string {
  if (specs.length === 0) return '<none>';
  const parts = specs.map((m, i) => {
    if (m.type !== 'Resource' || !m.resource) return '<unknown>/<unknown>';
    const target = m.resource.target;
    const current = statuses[i]?.resource?.current;
    const name = m.resource.name;
    if (target.type === 'Utilization' && target.averageUtilization !== undefined) {
      const cur = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : '<unknown>';
      return `${name}: ${cur}/${target.averageUtilization}%`;
    }
    const cur = current?.averageValue !== undefined ? String(current.averageValue) : '<unknown>';
    return `${name}: ${cur}/${String(target.averageValue ?? target.value ?? '<unknown>')}`;
  });
  const shown = parts.slice(0, 2).join(', ');
  return parts.length > 2 ? `${shown} + ${parts.length - 2} more...` : shown;
}

const leasePrinter: Printer = {
  columns: [NAME, { name: 'Holder', description: 'The holder of the lease.' }, AGE],
  cells: (obj, now) => [nameOf(obj), (obj as Lease).spec?.holderIdentity ?? '', ageOf(obj, now)],
};

const endpointsPrinter: Printer = {
  columns: [NAME, { name: 'Endpoints', description: 'Endpoints of the service' }, AGE],
  cells: (obj, now) => [nameOf(obj), formatEndpoints(obj as Endpoints), ageOf(obj, now)],
};

/** kubectl's formatEndpoints: `ip:port` per port then address, at most 3, then `+ N more...`; `<none>`. */
function formatEndpoints(endpoints: Endpoints): string {
  const list: string[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const addresses = subset.addresses ?? [];
    // Headless services may have no ports: the addresses alone.
    if ((subset.ports ?? []).length === 0) for (const a of addresses) list.push(a.ip);
    for (const p of subset.ports ?? []) for (const a of addresses) list.push(`${a.ip}:${p.port}`);
  }
  const shown = list.slice(0, 3).join(',');
  return list.length > 3 ? `${shown} + ${list.length - 3} more...` : orNone(shown);
}

const endpointSlicePrinter: Printer = {
  columns: [
    NAME,
    { name: 'AddressType', description: 'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.' },
    { name: 'Ports', description: 'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.' },
    { name: 'Endpoints', description: 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.' },
    AGE,
  ],
  cells: (obj, now) => {
    const slice = view<EndpointSlice>(obj);
    return [nameOf(obj), slice.addressType ?? '', discoveryPorts(slice.ports ?? []), discoveryEndpoints(slice.endpoints ?? []), ageOf(obj, now)];
  },
};

/** kubectl's listWithMoreString: the first 3, then `+ N more...`; `<unset>` when empty. */
function listWithMore(list: readonly string[]): string {
  const shown = list.slice(0, 3).join(',');
  if (list.length > 3) return `${shown} + ${list.length - 3} more...`;
  return shown === '' ? '<unset>' : shown;
}

/** A port without a number is `*` ("all ports") unless it has a name. */
const discoveryPorts = (ports: readonly DiscoveryPort[]): string => listWithMore(ports.map((p) => (p.port !== undefined ? String(p.port) : (p.name ?? '*'))));
const discoveryEndpoints = (endpoints: readonly DiscoveryEndpoint[]): string => listWithMore(endpoints.flatMap((e) => e.addresses));

const ACCESS_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
/** GetAccessModesAsString: each mode once, in Kubernetes' fixed order (RWO, ROX, RWX, RWOP). */
const accessModes = (modes: readonly string[] | undefined): string =>
  Object.keys(ACCESS_MODES)
    .filter((m) => (modes ?? []).includes(m))
    .map((m) => ACCESS_MODES[m])
    .join(',');

/** GetPersistentVolumeClaimClass: the beta annotation wins over `spec.storageClassName`. */
const claimClass = (pvc: PersistentVolumeClaim): string => pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pvc.spec?.storageClassName ?? '';
/** GetPersistentVolumeClass, the same for volumes. */
const volumeClass = (pv: PersistentVolume): string => pv.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pv.spec?.storageClassName ?? '';

const pvcPrinter: Printer = {
  columns: [
    NAME,
    { name: 'Status' },
    { name: 'Volume' },
    { name: 'Capacity' },
    { name: 'Access Modes' },
    { name: 'StorageClass' },
    { name: 'VolumeAttributesClass' },
    AGE,
    wide('VolumeMode'),
  ],
  cells: (obj, now) => {
    const pvc = obj as PersistentVolumeClaim;
    // Capacity and access modes are the bound volume's, shown once a volume is named.
    const named = Boolean(pvc.spec?.volumeName);
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '');
    return [
      nameOf(obj),
      phase,
      pvc.spec?.volumeName ?? '',
      named ? String(pvc.status?.capacity?.storage ?? '') : '',
      named ? accessModes(pvc.status?.accessModes) : '',
      claimClass(pvc),
      pvc.spec?.volumeAttributesClassName ?? '<unset>',
      ageOf(obj, now),
      pvc.spec?.volumeMode ?? '<unset>',
    ];
  },
};

const pvPrinter: Printer = {
  columns: [
    NAME,
    { name: 'Capacity' },
    { name: 'Access Modes' },
    { name: 'Reclaim Policy' },
    { name: 'Status' },
    { name: 'Claim' },
    { name: 'StorageClass' },
    { name: 'VolumeAttributesClass' },
    { name: 'Reason' },
    AGE,
    wide('VolumeMode'),
  ],
  cells: (obj, now) => {
    const pv = obj as PersistentVolume;
    const claim = pv.spec?.claimRef ? `${pv.spec.claimRef.namespace ?? ''}/${pv.spec.claimRef.name ?? ''}` : '';
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? '');
    return [
      nameOf(obj),
      String(pv.spec?.capacity?.storage ?? ''),
      accessModes(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '',
      phase,
      claim,
      volumeClass(pv),
      pv.spec?.volumeAttributesClassName ?? '<unset>',
      pv.status?.reason ?? '',
      ageOf(obj, now),
      pv.spec?.volumeMode ?? '<unset>',
    ];
  },
};

const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

const storageClassPrinter: Printer = {
  columns: [
    NAME,
    { name: 'Provisioner', description: 'provisioner indicates the type of the provisioner.' },
    { name: 'ReclaimPolicy', description: 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.' },
    { name: 'VolumeBindingMode', description: 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.' },
    { name: 'AllowVolumeExpansion', description: 'allowVolumeExpansion shows whether the storage class allow volume expand.' },
    AGE,
  ],
  cells: (obj, now) => {
    const sc = view<StorageClass>(obj);
    const isDefault = DEFAULT_CLASS_ANNOTATIONS.some((a) => sc.metadata?.annotations?.[a] === 'true');
    return [
      isDefault ? `${nameOf(obj)} (default)` : nameOf(obj),
      sc.provisioner,
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      sc.allowVolumeExpansion ?? false,
      ageOf(obj, now),
    ];
  },
};

const priorityClassPrinter: Printer = {
  columns: [
    NAME,
    int('Value', 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.'),
    { name: 'Global-Default', type: 'boolean', description: 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.' },
    AGE,
    { name: 'PreemptionPolicy', description: 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.' },
  ],
  cells: (obj, now) => [nameOf(obj), typeof obj.value === 'number' ? obj.value : 0, obj.globalDefault === true, ageOf(obj, now), typeof obj.preemptionPolicy === 'string' ? obj.preemptionPolicy : 'PreemptLowerPriority'],
};

const serviceAccountPrinter: Printer = {
  columns: [NAME, int('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE],
  cells: (obj, now) => [nameOf(obj), (obj as ServiceAccount).secrets?.length ?? 0, ageOf(obj, now)],
};

const controllerRevisionPrinter: Printer = {
  columns: [NAME, { name: 'Controller', description: 'Controller of the object' }, int('Revision', 'Revision indicates the revision of the state represented by Data.'), AGE],
  cells: (obj, now) => {
    const cr = view<ControllerRevision>(obj);
    const owner = cr.metadata?.ownerReferences?.find((r) => r.controller);
    let controller = '<none>';
    if (owner) {
      const group = owner.apiVersion.includes('/') ? owner.apiVersion.slice(0, owner.apiVersion.indexOf('/')) : '';
      const kind = owner.kind.toLowerCase();
      controller = `${group ? `${kind}.${group}` : kind}/${owner.name}`;
    }
    return [nameOf(obj), controller, cr.revision, ageOf(obj, now)];
  },
};

/** `requests.cpu: 500m/1, pods: 2/10` (Request) and the `limits.*` names (Limit), names sorted, from the status (printResourceQuota). */
const resourceQuotaPrinter: Printer = {
  columns: [
    NAME,
    AGE,
    { name: 'Request', description: 'Request represents a minimum amount of cpu/memory that a container may consume.' },
    { name: 'Limit', description: 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.' },
  ],
  cells: (obj, now) => {
    const status = view<ResourceQuota>(obj).status ?? {};
    const hard = status.hard ?? {};
    const request: string[] = [];
    const limit: string[] = [];
    for (const name of Object.keys(hard).sort()) {
      const pieces = name.split('.');
      const cell = `${name}: ${String(status.used?.[name] ?? '0')}/${String(hard[name])}`;
      (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(cell);
    }
    return [nameOf(obj), ageOf(obj, now), request.join(', '), limit.join(', ')];
  },
};

/** Kubernetes has no printer for LimitRanges: its default table (NAME, CREATED AT in RFC 3339). */
const limitRangePrinter: Printer = {
  columns: [NAME, { name: 'Created At', type: 'date', description: AGE.description }],
  cells: (obj) => [nameOf(obj), obj.metadata?.creationTimestamp ?? ''],
};

const defaultPrinter: Printer = {
  columns: [NAME, AGE],
  cells: (obj, now) => [nameOf(obj), ageOf(obj, now)],
};

const HPA_V1 = findResource('autoscaling', 'v1', 'horizontalpodautoscalers')!;

const PRINTERS: Record<string, Printer> = {
  'v1/Pod': podPrinter,
  'v1/Node': nodePrinter,
  'v1/Namespace': namespacePrinter,
  'v1/ConfigMap': configMapPrinter,
  'v1/Secret': secretPrinter,
  'v1/Event': coreEventPrinter,
  'v1/Service': servicePrinter,
  'v1/Endpoints': endpointsPrinter,
  'v1/PersistentVolumeClaim': pvcPrinter,
  'v1/PersistentVolume': pvPrinter,
  'v1/ReplicationController': replicationControllerPrinter,
  'v1/ServiceAccount': serviceAccountPrinter,
  'v1/ResourceQuota': resourceQuotaPrinter,
  'v1/LimitRange': limitRangePrinter,
  'apps/v1/Deployment': deploymentPrinter,
  'apps/v1/ReplicaSet': replicaSetPrinter,
  'apps/v1/StatefulSet': statefulSetPrinter,
  'apps/v1/DaemonSet': daemonSetPrinter,
  'apps/v1/ControllerRevision': controllerRevisionPrinter,
  'batch/v1/Job': jobPrinter,
  'batch/v1/CronJob': cronJobPrinter,
  'autoscaling/v2/HorizontalPodAutoscaler': hpaPrinter,
  // Kubernetes prints every HPA version through one printer; v1 objects are read as v2.
  'autoscaling/v1/HorizontalPodAutoscaler': { ...hpaPrinter, cells: (obj, now) => hpaPrinter.cells(toStoredVersion(HPA_V1, obj), now) },
  'coordination.k8s.io/v1/Lease': leasePrinter,
  'discovery.k8s.io/v1/EndpointSlice': endpointSlicePrinter,
  'events.k8s.io/v1/Event': eventsV1Printer,
  'storage.k8s.io/v1/StorageClass': storageClassPrinter,
  'scheduling.k8s.io/v1/PriorityClass': priorityClassPrinter,
  ...rbacPrinters(NAME, AGE),
};

/** The printer for `info`'s kind; NAME + AGE for kinds without one. */
export function printerFor(info: ResourceInfo): Printer {
  return PRINTERS[`${apiVersionOf(info)}/${info.kind}`] ?? defaultPrinter;
}
