/**
 * The Kubernetes protobuf messages this server reads, by field number: the objects that
 * `kubectl create <kind>` and `kubectl autoscale` build (kubectl sends built-in kinds as protobuf, and client-go does not
 * fall back to JSON after a 415). Each table lists the fields that carry meaning; the decoder
 * accepts any other field only with its zero value (gogo-protobuf writes every non-pointer field,
 * set or not), so a field missing here fails loudly (415) instead of being dropped or misread.
 * Only fields kubectl can send are listed, and test/apiserver/kubectl-create.test.ts checks each
 * against kubectl's own encoding (a Job created `--from` a CronJob carries the whole pod template).
 */

/** Wire-level scalars, and Kubernetes' special messages (read into their JSON forms). */
export type ScalarType = 'string' | 'int32' | 'int64' | 'bool' | 'bytes';
export type SpecialType = 'Time' | 'Quantity' | 'IntOrString';
export type FieldType = ScalarType | SpecialType | MessageName;
export type MessageName =
  | 'ObjectMeta' | 'OwnerReference' | 'LocalObjectReference' | 'LabelSelector' | 'LabelSelectorRequirement' | 'IgnoredStatus'
  | 'Namespace' | 'ConfigMap' | 'Secret' | 'ServiceAccount' | 'Service' | 'ServiceSpec' | 'ServicePort' | 'Deployment'
  | 'DeploymentSpec' | 'Job' | 'JobSpec' | 'CronJob' | 'CronJobSpec' | 'JobTemplateSpec' | 'PodTemplateSpec' | 'PodSpec'
  | 'Container' | 'ContainerPort' | 'EnvVar' | 'ResourceRequirements' | 'HorizontalPodAutoscalerV1' | 'HorizontalPodAutoscalerSpecV1'
  | 'CrossVersionObjectReference' | 'TokenRequest' | 'TokenRequestSpec' | 'BoundObjectReference' | 'ResourceQuota' | 'ResourceQuotaSpec'
  | 'ScopeSelector' | 'ScopedResourceSelectorRequirement'
  | 'Role' | 'ClusterRole' | 'PolicyRule' | 'AggregationRule' | 'RoleBinding' | 'ClusterRoleBinding' | 'Subject' | 'RoleRef'
  | 'SelfSubjectAccessReview' | 'SelfSubjectAccessReviewSpec' | 'SubjectAccessReview' | 'SubjectAccessReviewSpec' | 'ResourceAttributes'
  | 'NonResourceAttributes' | 'SelfSubjectRulesReview' | 'SelfSubjectRulesReviewSpec' | 'SelfSubjectReview';

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** A JSON list (one wire field per element). */
  list?: true;
  /** A JSON object keyed by string (map entries: key 1, value 2). */
  map?: true;
  /**
   * A Go pointer: present means set, so a zero value is kept (`replicas: 0`, `immutable: false`).
   * Other zero values are dropped, as Go's JSON omits them.
   */
  pointer?: true;
}

type Fields = Record<number, FieldSpec>;

const s = (name: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ name, type: 'string', ...extra });
const of = (name: string, type: FieldType, extra: Partial<FieldSpec> = {}): FieldSpec => ({ name, type, ...extra });
const P = { pointer: true } as const;
const L = { list: true } as const;
const M = { map: true } as const;

const objectMeta: Fields = {
  1: s('name'),
  2: s('generateName'),
  3: s('namespace'),
  5: s('uid'),
  6: s('resourceVersion'),
  7: of('generation', 'int64'),
  8: of('creationTimestamp', 'Time'),
  11: s('labels', M),
  12: s('annotations', M),
  13: of('ownerReferences', 'OwnerReference', L),
  14: s('finalizers', L),
};

const podSpec: Fields = {
  2: of('containers', 'Container', L),
  3: s('restartPolicy'),
  4: of('terminationGracePeriodSeconds', 'int64', P),
  5: of('activeDeadlineSeconds', 'int64', P),
  6: s('dnsPolicy'),
  7: s('nodeSelector', M),
  8: s('serviceAccountName'),
  9: s('serviceAccount'),
  10: s('nodeName'),
  11: of('hostNetwork', 'bool'),
  12: of('hostPID', 'bool'),
  13: of('hostIPC', 'bool'),
  15: of('imagePullSecrets', 'LocalObjectReference', L),
  16: s('hostname'),
  17: s('subdomain'),
  19: s('schedulerName'),
  20: of('initContainers', 'Container', L),
  21: of('automountServiceAccountToken', 'bool', P),
  24: s('priorityClassName'),
  30: of('enableServiceLinks', 'bool', P),
};

const container: Fields = {
  1: s('name'),
  2: s('image'),
  3: s('command', L),
  4: s('args', L),
  5: s('workingDir'),
  6: of('ports', 'ContainerPort', L),
  7: of('env', 'EnvVar', L),
  8: of('resources', 'ResourceRequirements'),
  13: s('terminationMessagePath'),
  14: s('imagePullPolicy'),
  16: of('stdin', 'bool'),
  17: of('stdinOnce', 'bool'),
  18: of('tty', 'bool'),
  20: s('terminationMessagePolicy'),
};

const jobSpec: Fields = {
  1: of('parallelism', 'int32', P),
  2: of('completions', 'int32', P),
  3: of('activeDeadlineSeconds', 'int64', P),
  4: of('selector', 'LabelSelector', P),
  5: of('manualSelector', 'bool', P),
  6: of('template', 'PodTemplateSpec'),
  7: of('backoffLimit', 'int32', P),
  8: of('ttlSecondsAfterFinished', 'int32', P),
  9: s('completionMode', P),
  10: of('suspend', 'bool', P),
};

export const MESSAGES = {
  ObjectMeta: objectMeta,
  OwnerReference: { 1: s('kind'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 6: of('controller', 'bool', P) },
  LocalObjectReference: { 1: s('name') },
  LabelSelector: { 1: s('matchLabels', M), 2: of('matchExpressions', 'LabelSelectorRequirement', L) },
  LabelSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: s('values', L) },
  /** A status sent on create or update: the server ignores it, so only an empty one is accepted. */
  IgnoredStatus: {},

  Namespace: { 1: of('metadata', 'ObjectMeta'), 3: of('status', 'IgnoredStatus') },
  ConfigMap: { 1: of('metadata', 'ObjectMeta'), 2: s('data', M), 3: of('binaryData', 'bytes', M) },
  Secret: { 1: of('metadata', 'ObjectMeta'), 2: of('data', 'bytes', M), 3: s('type') },
  ServiceAccount: { 1: of('metadata', 'ObjectMeta') },
  Service: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'ServiceSpec'), 3: of('status', 'IgnoredStatus') },
  ServiceSpec: {
    1: of('ports', 'ServicePort', L),
    2: s('selector', M),
    3: s('clusterIP'),
    4: s('type'),
    10: s('externalName'),
  },
  ServicePort: { 1: s('name'), 2: s('protocol'), 3: of('port', 'int32'), 4: of('targetPort', 'IntOrString'), 5: of('nodePort', 'int32') },

  Deployment: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'DeploymentSpec'), 3: of('status', 'IgnoredStatus') },
  DeploymentSpec: {
    1: of('replicas', 'int32', P),
    2: of('selector', 'LabelSelector', P),
    3: of('template', 'PodTemplateSpec'),
  },
  Job: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'JobSpec'), 3: of('status', 'IgnoredStatus') },
  JobSpec: jobSpec,
  CronJob: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'CronJobSpec'), 3: of('status', 'IgnoredStatus') },
  CronJobSpec: { 1: s('schedule'), 5: of('jobTemplate', 'JobTemplateSpec') },
  JobTemplateSpec: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'JobSpec') },
  HorizontalPodAutoscalerV1: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'HorizontalPodAutoscalerSpecV1'), 3: of('status', 'IgnoredStatus') },
  HorizontalPodAutoscalerSpecV1: {
    1: of('scaleTargetRef', 'CrossVersionObjectReference'),
    2: of('minReplicas', 'int32', P),
    3: of('maxReplicas', 'int32'),
    4: of('targetCPUUtilizationPercentage', 'int32', P),
  },
  CrossVersionObjectReference: { 1: s('kind'), 2: s('name'), 3: s('apiVersion') },
  // kubectl create token: authentication.k8s.io/v1 TokenRequest to serviceaccounts/<name>/token.
  TokenRequest: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'TokenRequestSpec'), 3: of('status', 'IgnoredStatus') },
  TokenRequestSpec: { 1: s('audiences', L), 3: of('boundObjectRef', 'BoundObjectReference', P), 4: of('expirationSeconds', 'int64', P) },
  BoundObjectReference: { 1: s('kind'), 2: s('apiVersion'), 3: s('name'), 4: s('uid') },
  // kubectl create quota.
  ResourceQuota: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'ResourceQuotaSpec'), 3: of('status', 'IgnoredStatus') },
  ResourceQuotaSpec: { 1: of('hard', 'Quantity', M), 2: s('scopes', L), 3: of('scopeSelector', 'ScopeSelector', P) },
  ScopeSelector: { 1: of('matchExpressions', 'ScopedResourceSelectorRequirement', L) },
  ScopedResourceSelectorRequirement: { 1: s('scopeName'), 2: s('operator'), 3: s('values', L) },

  // kubectl create role / clusterrole / rolebinding / clusterrolebinding (rbac.authorization.k8s.io/v1).
  Role: { 1: of('metadata', 'ObjectMeta'), 2: of('rules', 'PolicyRule', L) },
  ClusterRole: { 1: of('metadata', 'ObjectMeta'), 2: of('rules', 'PolicyRule', L), 3: of('aggregationRule', 'AggregationRule', P) },
  PolicyRule: { 1: s('verbs', L), 2: s('apiGroups', L), 3: s('resources', L), 4: s('resourceNames', L), 5: s('nonResourceURLs', L) },
  AggregationRule: { 1: of('clusterRoleSelectors', 'LabelSelector', L) },
  RoleBinding: { 1: of('metadata', 'ObjectMeta'), 2: of('subjects', 'Subject', L), 3: of('roleRef', 'RoleRef') },
  ClusterRoleBinding: { 1: of('metadata', 'ObjectMeta'), 2: of('subjects', 'Subject', L), 3: of('roleRef', 'RoleRef') },
  Subject: { 1: s('kind'), 2: s('apiGroup'), 3: s('name'), 4: s('namespace') },
  RoleRef: { 1: s('apiGroup'), 2: s('kind'), 3: s('name') },
  // kubectl auth can-i (authorization.k8s.io/v1), kubectl auth whoami (authentication.k8s.io/v1); no `extra` (a map of ExtraValue).
  SelfSubjectAccessReview: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'SelfSubjectAccessReviewSpec'), 3: of('status', 'IgnoredStatus') },
  SelfSubjectAccessReviewSpec: { 1: of('resourceAttributes', 'ResourceAttributes', P), 2: of('nonResourceAttributes', 'NonResourceAttributes', P) },
  SubjectAccessReview: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'SubjectAccessReviewSpec'), 3: of('status', 'IgnoredStatus') },
  SubjectAccessReviewSpec: {
    1: of('resourceAttributes', 'ResourceAttributes', P),
    2: of('nonResourceAttributes', 'NonResourceAttributes', P),
    3: s('user'),
    4: s('groups', L),
    6: s('uid'),
  },
  ResourceAttributes: { 1: s('namespace'), 2: s('verb'), 3: s('group'), 4: s('version'), 5: s('resource'), 6: s('subresource'), 7: s('name') },
  NonResourceAttributes: { 1: s('path'), 2: s('verb') },
  SelfSubjectRulesReview: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'SelfSubjectRulesReviewSpec'), 3: of('status', 'IgnoredStatus') },
  SelfSubjectRulesReviewSpec: { 1: s('namespace') },
  SelfSubjectReview: { 1: of('metadata', 'ObjectMeta'), 2: of('status', 'IgnoredStatus') },

  PodTemplateSpec: { 1: of('metadata', 'ObjectMeta'), 2: of('spec', 'PodSpec') },
  PodSpec: podSpec,
  Container: container,
  ContainerPort: { 1: s('name'), 2: of('hostPort', 'int32'), 3: of('containerPort', 'int32'), 4: s('protocol'), 5: s('hostIP') },
  EnvVar: { 1: s('name'), 2: s('value') },
  ResourceRequirements: { 1: of('limits', 'Quantity', M), 2: of('requests', 'Quantity', M) },
} satisfies Record<MessageName, Fields>;


/** The message of each `apiVersion/kind` a protobuf body may hold. */
export const ROOT_MESSAGES: Record<string, MessageName> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'apps/v1/Deployment': 'Deployment',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'autoscaling/v1/HorizontalPodAutoscaler': 'HorizontalPodAutoscalerV1',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
  'v1/ResourceQuota': 'ResourceQuota',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
};
