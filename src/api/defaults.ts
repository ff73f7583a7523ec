/**
 * Kubernetes' defaulting (the `SetDefaults_*` functions of k8s.io/kubernetes/pkg/apis/<group>/v1):
 * fields a user may leave out and that every reader then finds filled. Applied after decoding,
 * before validation, on create and update alike.
 */
import { apiVersionOf, type ResourceInfo } from './kinds.ts';
import { childRecord, isRecord, optionalRecord, recordList, setDefault, type JsonObject, type KubeObject } from './object.ts';
import { defaultLimitRange } from './quota/limit-range.ts';
import { defaultBinding } from './rbac/defaults.ts';

/** Returns a defaulted deep copy of `obj`; the input is not modified. */
export function applyDefaults<T extends KubeObject>(info: ResourceInfo, obj: T): T {
  const out = structuredClone(obj);
  DEFAULTERS[`${apiVersionOf(info)}/${info.kind}`]?.(out);
  return out;
}

type Defaulter = (obj: JsonObject) => void;

const DEFAULTERS: Record<string, Defaulter> = {
  'v1/Pod': (obj) => defaultPodSpec(childRecord(obj, 'spec')),
  'v1/Secret': (obj) => {
    setDefault(obj, 'type', 'Opaque');
    // stringData is write-only: the decoder folds it into data (base64), overriding same keys.
    const stringData = optionalRecord(obj, 'stringData');
    if (stringData) {
      const data = childRecord(obj, 'data');
      for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
      delete obj.stringData;
    }
  },
  'v1/Namespace': (obj) => {
    setDefault(childRecord(obj, 'spec'), 'finalizers', ['kubernetes']);
    setDefault(childRecord(obj, 'status'), 'phase', 'Active');
  },
  'v1/Service': (obj) => defaultService(childRecord(obj, 'spec')),
  'v1/Endpoints': (obj) => {
    for (const subset of recordList(obj, 'subsets')) for (const port of recordList(subset, 'ports')) setDefault(port, 'protocol', 'TCP');
  },
  'discovery.k8s.io/v1/EndpointSlice': (obj) => {
    for (const port of recordList(obj, 'ports')) {
      setDefault(port, 'name', '');
      setDefault(port, 'protocol', 'TCP');
    }
  },
  'v1/Node': (obj) => {
    const status = optionalRecord(obj, 'status');
    if (status && isRecord(status.capacity)) setDefault(status, 'allocatable', structuredClone(status.capacity));
  },
  'v1/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  // A Container item's default limits come from max, its default requests from default, then min.
  'v1/LimitRange': defaultLimitRange,
  'rbac.authorization.k8s.io/v1/RoleBinding': defaultBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': defaultBinding,
  'scheduling.k8s.io/v1/PriorityClass': (obj) => setDefault(obj, 'preemptionPolicy', 'PreemptLowerPriority'),
  'storage.k8s.io/v1/StorageClass': (obj) => {
    setDefault(obj, 'reclaimPolicy', 'Delete');
    setDefault(obj, 'volumeBindingMode', 'Immediate');
  },
  'v1/PersistentVolume': (obj) => {
    const spec = childRecord(obj, 'spec');
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    setDefault(childRecord(obj, 'status'), 'phase', 'Pending');
  },
  'v1/ReplicationController': (obj) => {
    const spec = childRecord(obj, 'spec');
    const templateLabels = optionalRecord(optionalRecord(spec, 'template'), 'metadata')?.labels;
    if (isRecord(templateLabels)) {
      if (!isRecord(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = structuredClone(templateLabels);
      const meta = childRecord(obj, 'metadata');
      if (!isRecord(meta.labels) || Object.keys(meta.labels).length === 0) meta.labels = structuredClone(templateLabels);
    }
    setDefault(spec, 'replicas', 1);
    defaultPodTemplate(spec);
  },
  'apps/v1/Deployment': (obj) => {
    const spec = childRecord(obj, 'spec');
    setDefault(spec, 'replicas', 1);
    const strategy = childRecord(spec, 'strategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = childRecord(strategy, 'rollingUpdate');
      setDefault(rolling, 'maxUnavailable', '25%');
      setDefault(rolling, 'maxSurge', '25%');
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    defaultPodTemplate(spec);
  },
  'apps/v1/ReplicaSet': (obj) => {
    const spec = childRecord(obj, 'spec');
    setDefault(spec, 'replicas', 1);
    defaultPodTemplate(spec);
  },
  'apps/v1/DaemonSet': (obj) => {
    const spec = childRecord(obj, 'spec');
    const strategy = childRecord(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = childRecord(strategy, 'rollingUpdate');
      setDefault(rolling, 'maxUnavailable', 1);
      setDefault(rolling, 'maxSurge', 0);
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplate(spec);
  },
  'apps/v1/StatefulSet': (obj) => {
    const spec = childRecord(obj, 'spec');
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    const strategy = childRecord(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') setDefault(childRecord(strategy, 'rollingUpdate'), 'partition', 0);
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    const retention = childRecord(spec, 'persistentVolumeClaimRetentionPolicy');
    setDefault(retention, 'whenDeleted', 'Retain');
    setDefault(retention, 'whenScaled', 'Retain');
    for (const claim of recordList(spec, 'volumeClaimTemplates')) defaultPersistentVolumeClaim(claim);
    defaultPodTemplate(spec);
  },
  'batch/v1/Job': (obj) => {
    const spec = childRecord(obj, 'spec');
    defaultJobSpec(spec);
    const templateLabels = optionalRecord(optionalRecord(spec, 'template'), 'metadata')?.labels;
    const meta = childRecord(obj, 'metadata');
    if (isRecord(templateLabels) && (!isRecord(meta.labels) || Object.keys(meta.labels).length === 0)) {
      meta.labels = structuredClone(templateLabels);
    }
  },
  'batch/v1/CronJob': (obj) => {
    const spec = childRecord(obj, 'spec');
    setDefault(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
    defaultPodTemplate(childRecord(childRecord(spec, 'jobTemplate'), 'spec'));
  },
  'autoscaling/v2/HorizontalPodAutoscaler': (obj) => {
    const spec = childRecord(obj, 'spec');
    setDefault(spec, 'minReplicas', 1);
    if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
      spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
    }
  },
};

function defaultJobSpec(spec: JsonObject): void {
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex == null ? 6 : 2147483647);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', spec.podFailurePolicy == null ? 'TerminatingOrFailed' : 'Failed');
  defaultPodTemplate(spec);
}

function defaultPersistentVolumeClaim(obj: JsonObject): void {
  setDefault(childRecord(obj, 'spec'), 'volumeMode', 'Filesystem');
  setDefault(childRecord(obj, 'status'), 'phase', 'Pending');
}

/** Defaults `holder.template.spec` (workload controllers embed a pod template there). */
function defaultPodTemplate(holder: JsonObject): void {
  const template = optionalRecord(holder, 'template');
  if (template) defaultPodSpec(childRecord(template, 'spec'));
}

/** Pod spec defaults, shared by Pods and every pod template. */
export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'enableServiceLinks', true);
  for (const list of ['containers', 'initContainers']) {
    for (const container of recordList(spec, list)) {
      defaultContainer(container);
      if (spec.hostNetwork === true) {
        for (const port of recordList(container, 'ports')) setDefault(port, 'hostPort', port.containerPort);
      }
    }
  }
  for (const volume of recordList(spec, 'volumes')) defaultVolume(volume);
}

function defaultContainer(container: JsonObject): void {
  if (typeof container.image === 'string' && container.image !== '') {
    setDefault(container, 'imagePullPolicy', defaultPullPolicy(container.image));
  }
  setDefault(container, 'terminationMessagePath', '/dev/termination-log');
  setDefault(container, 'terminationMessagePolicy', 'File');
  for (const port of recordList(container, 'ports')) setDefault(port, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = optionalRecord(container, probe);
    if (p) defaultProbe(p);
  }
  for (const env of recordList(container, 'env')) {
    const fieldRef = optionalRecord(optionalRecord(env, 'valueFrom'), 'fieldRef');
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  // Requests default to limits, per resource name (SetDefaults_Pod).
  const resources = optionalRecord(container, 'resources');
  const limits = optionalRecord(resources, 'limits');
  if (resources && limits && Object.keys(limits).length > 0) {
    const requests = childRecord(resources, 'requests');
    for (const [name, quantity] of Object.entries(limits)) setDefault(requests, name, quantity);
  }
}

/** `Always` for `:latest` or an untagged image, else `IfNotPresent` (a digest counts as pinned). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon === -1 ? 'latest' : lastSegment.slice(colon + 1);
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: JsonObject): void {
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  const httpGet = optionalRecord(probe, 'httpGet');
  if (httpGet) {
    setDefault(httpGet, 'path', '/');
    setDefault(httpGet, 'scheme', 'HTTP');
  }
}

function defaultVolume(volume: JsonObject): void {
  // A volume naming no source is an emptyDir.
  if (Object.keys(volume).every((k) => k === 'name')) volume.emptyDir = {};
  for (const source of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    const s = optionalRecord(volume, source);
    if (s) setDefault(s, 'defaultMode', 420);
  }
}

function defaultService(spec: JsonObject): void {
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'ClientIP') {
    setDefault(childRecord(childRecord(spec, 'sessionAffinityConfig'), 'clientIP'), 'timeoutSeconds', 10800);
  }
  for (const port of recordList(spec, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === '') {
      port.targetPort = port.port;
    }
  }
  if (spec.type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
}
