/**
 * Kubernetes' PodSecurity admission (the Pod Security Standards, by namespace label): a
 * validating plugin. The levels and checks are in pod-security/ (one small file per check).
 *
 * - Pods (create, and updates that change an image or a seccomp annotation, as Kubernetes): the
 *   namespace's `enforce` policy refuses with 403 `pods "x" is forbidden: violates PodSecurity
 *   "restricted:latest": allowPrivilegeEscalation != false (container "c" must set …), …`; `warn`
 *   adds a `Warning` (`would violate PodSecurity "…": …`, kubectl prints it); `audit` adds the
 *   audit annotation `pod-security.kubernetes.io/audit-violations`.
 * - Workloads with a pod template (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs,
 *   CronJobs, ReplicationControllers, PodTemplates): `warn` and `audit` only, as Kubernetes —
 *   the pods they make are what `enforce` refuses.
 * - Namespaces: PodSecurity labels must parse (422 otherwise, on create, or on an update that
 *   changes them); making `enforce` stricter warns about the namespace's existing pods that
 *   would be refused now (`existing pods in namespace "x" violate the new PodSecurity enforce
 *   level "restricted:latest"`, then `<pod> (and N other pods): <reasons>`).
 * No namespace, user or runtime class is exempt: Kubernetes' default configuration exempts none.
 */
import type { FieldError } from '../../api/field.ts';
import type { KubeObject } from '../../api/object.ts';
import { isRecord } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { evaluatePod, forbiddenDetail, forbiddenReason } from './pod-security/evaluate.ts';
import { policyFromLabels, type Policy } from './pod-security/policy.ts';
import { hasPodTemplate, podPartsOf } from './pod-security/pod-template.ts';
import { byteOrder } from './pod-security/helpers.ts';
import { levelVersionString, type LevelVersion } from './pod-security/types.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

/** The audit annotation Kubernetes records `audit` mode's violations under. */
export const AUDIT_VIOLATIONS_ANNOTATION = 'pod-security.kubernetes.io/audit-violations';

/** Existing pods checked when a namespace's enforce level gets stricter (Kubernetes' default). */
const MAX_PODS_TO_CHECK = 3000;

export interface PodSecurityDeps {
  /** The labels of namespace `name` (undefined when it does not exist). */
  namespaceLabels(name: string): Promise<Record<string, unknown> | undefined>;
  /** The pods of namespace `name`, for the warnings of a stricter enforce level. */
  podsIn(name: string): Promise<KubeObject[]>;
}

export class PodSecurityAdmission implements AdmissionPlugin {
  readonly name = 'PodSecurity';

  constructor(private readonly deps: PodSecurityDeps) {}

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const { info } = attrs;
    if (info.group === '' && info.kind === 'Namespace') return this.validateNamespace(attrs);
    const isPod = info.group === '' && info.kind === 'Pod';
    if (!isPod && !hasPodTemplate(info.group, info.kind)) return;
    if (attrs.namespace === undefined) return;
    const { policy } = policyFromLabels(await this.deps.namespaceLabels(attrs.namespace));
    if (isPod) {
      if (policy.enforce.level === 'privileged' && policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return;
      if (attrs.operation === 'UPDATE' && attrs.old && !isSignificantPodUpdate(attrs.obj, attrs.old)) return;
    } else if (policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return;
    const pod = podPartsOf(info.group, info.kind, attrs.obj);
    if (!pod) return;
    const verdict = (lv: LevelVersion): string | undefined => {
      const violations = evaluatePod(lv, pod);
      return violations.length ? forbiddenDetail(violations) : undefined;
    };
    if (isPod) {
      const refused = verdict(policy.enforce);
      if (refused) throw ApiError.forbidden(info, attrs.name, `violates PodSecurity ${JSON.stringify(levelVersionString(policy.enforce))}: ${refused}`);
    }
    const audited = verdict(policy.audit);
    if (audited) attrs.annotateAudit?.(AUDIT_VIOLATIONS_ANNOTATION, `would violate PodSecurity ${JSON.stringify(levelVersionString(policy.audit))}: ${audited}`);
    const warned = verdict(policy.warn);
    if (warned) attrs.warn?.(`would violate PodSecurity ${JSON.stringify(levelVersionString(policy.warn))}: ${warned}`);
  }

  private async validateNamespace(attrs: AdmissionAttributes): Promise<void> {
    const labelsOf = (obj: KubeObject | undefined): Record<string, unknown> | undefined => (isRecord(obj?.metadata?.labels) ? obj.metadata.labels : undefined);
    const next = policyFromLabels(labelsOf(attrs.obj));
    if (attrs.operation === 'CREATE') {
      if (next.errors.length) throw invalidLabels(next.errors);
      return;
    }
    const previous = policyFromLabels(labelsOf(attrs.old));
    if (next.errors.length && messages(next.errors) !== messages(previous.errors)) throw invalidLabels(next.errors);
    if (!isStricter(next.policy, previous.policy)) return;
    for (const warning of await this.existingPodWarnings(attrs.obj.metadata?.name ?? attrs.name, next.policy.enforce)) attrs.warn?.(warning);
  }

  /** Kubernetes' EvaluatePodsInNamespace: one warning per distinct set of reasons, naming the first pod and how many others. */
  private async existingPodWarnings(namespace: string, enforce: LevelVersion): Promise<string[]> {
    const pods = await this.deps.podsIn(namespace);
    const checked = pods.slice(0, MAX_PODS_TO_CHECK);
    const byReason = new Map<string, { first: string; count: number }>();
    for (const pod of checked) {
      const parts = podPartsOf('', 'Pod', pod);
      const violations = parts ? evaluatePod(enforce, parts) : [];
      if (!violations.length) continue;
      const reason = forbiddenReason(violations);
      const name = pod.metadata?.name ?? '';
      const seen = byReason.get(reason);
      if (!seen) byReason.set(reason, { first: name, count: 1 });
      else byReason.set(reason, { first: byteOrder(name, seen.first) < 0 ? name : seen.first, count: seen.count + 1 });
    }
    const warnings: string[] = [];
    if (checked.length < pods.length) warnings.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${pods.length} existing pods`);
    if (byReason.size) warnings.push(`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(levelVersionString(enforce))}`);
    const podWarnings = [...byReason].map(([reason, { first, count }]) =>
      count === 1 ? `${first}: ${reason}` : count === 2 ? `${first} (and 1 other pod): ${reason}` : `${first} (and ${count - 1} other pods): ${reason}`,
    );
    return [...warnings, ...podWarnings.sort(byteOrder)];
  }
}

function messages(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join(', ');
}

/** Kubernetes answers bad PodSecurity labels with a bare 422: the field errors are the message. */
function invalidLabels(errors: readonly FieldError[]): ApiError {
  return new ApiError(422, 'Invalid', messages(errors));
}

const STRICTNESS = { privileged: 0, baseline: 1, restricted: 2 } as const;

/** Whether existing pods must be checked: enforce changed, is not privileged, and is not the same version relaxed. */
function isStricter(next: Policy, previous: Policy): boolean {
  const a = next.enforce;
  const b = previous.enforce;
  if (a.level === b.level && a.version === b.version) return false;
  if (a.level === 'privileged') return false;
  return !(a.version === b.version && STRICTNESS[a.level] <= STRICTNESS[b.level]);
}

const POD_SECCOMP_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_SECCOMP_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

/** Kubernetes' isSignificantPodUpdate: only images, seccomp annotations and ephemeral containers can change what the checks see. */
function isSignificantPodUpdate(pod: KubeObject, old: KubeObject): boolean {
  const annotations = (o: KubeObject): Record<string, unknown> => (isRecord(o.metadata?.annotations) ? o.metadata.annotations : {});
  const list = (o: KubeObject, field: string): Record<string, unknown>[] => {
    const spec = isRecord(o.spec) ? o.spec : {};
    return Array.isArray(spec[field]) ? spec[field].filter(isRecord) : [];
  };
  const [a, oa] = [annotations(pod), annotations(old)];
  if (a[POD_SECCOMP_ANNOTATION] !== oa[POD_SECCOMP_ANNOTATION]) return true;
  const changed = (c: Record<string, unknown>, oc: Record<string, unknown>): boolean =>
    c.image !== oc.image || a[CONTAINER_SECCOMP_PREFIX + String(c.name)] !== oa[CONTAINER_SECCOMP_PREFIX + String(c.name)];
  for (const field of ['containers', 'initContainers']) {
    const [cs, ocs] = [list(pod, field), list(old, field)];
    if (cs.length !== ocs.length || cs.some((c, i) => changed(c, ocs[i]!))) return true;
  }
  const oldEphemeral = list(old, 'ephemeralContainers');
  return list(pod, 'ephemeralContainers').some((c) => {
    const oc = oldEphemeral.find((o) => o.name === c.name);
    return !oc || changed(c, oc);
  });
}
