/**
 * The Priority admission plugin (Kubernetes' `plugin/pkg/admission/priority`):
 * - mutating, pod creates: `spec.priorityClassName` → `spec.priority` and `spec.preemptionPolicy`
 *   from the PriorityClass (the system classes `system-node-critical` and
 *   `system-cluster-critical` always exist); no name → the globalDefault class (the lowest value
 *   if several), else priority 0. A missing class is a 403 `no PriorityClass with name x was
 *   found`; a `spec.priority` (or preemptionPolicy) that differs from the class's is a 403.
 * - validating, PriorityClasses: only one globalDefault; the system classes cannot be deleted.
 * `ensureSystemPriorityClasses` creates the system classes as objects (the API server's
 * `scheduling/bootstrap-system-priority-classes` post-start hook); the Registry runs it at start
 * when it has admission.
 */
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import { DEFAULT_PREEMPTION_POLICY, SYSTEM_PRIORITY_CLASSES, systemPriorityClass } from '../../api/scheduling/priority-class.ts';
import { ApiError } from '../../api/status.ts';
import type { Informer } from '../../store/informer.ts';
import type { Store } from '../../store/types.ts';
import { decodeObject } from '../codec.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

export const PRIORITY_CLASSES = findKind('scheduling.k8s.io/v1', 'PriorityClass') as ResourceInfo;

const isPodCreate = (attrs: AdmissionAttributes): boolean => attrs.info.group === '' && attrs.info.resource === 'pods' && attrs.operation === 'CREATE' && attrs.subresource === undefined;
const isPriorityClass = (attrs: AdmissionAttributes): boolean => attrs.info.group === PRIORITY_CLASSES.group && attrs.info.resource === PRIORITY_CLASSES.resource;

export class PriorityAdmission implements AdmissionPlugin {
  readonly name = 'Priority';
  readonly handlesEveryWrite = true;

  constructor(
    private readonly classes: Informer<KubeObject>,
    private readonly store: Store,
  ) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (!isPodCreate(attrs)) return;
    const spec = isRecord(attrs.obj.spec) ? attrs.obj.spec : (attrs.obj.spec = {});
    const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
    let priority = 0;
    let policy: string = DEFAULT_PREEMPTION_POLICY;
    if (name === '') {
      const fallback = this.globalDefault();
      if (fallback) {
        spec.priorityClassName = fallback.metadata?.name ?? '';
        priority = Number(fallback.value ?? 0);
        policy = typeof fallback.preemptionPolicy === 'string' ? fallback.preemptionPolicy : DEFAULT_PREEMPTION_POLICY;
      }
    } else {
      const pc = await this.lookup(name);
      if (!pc) throw ApiError.forbidden(attrs.info, attrs.name, `no PriorityClass with name ${name} was found`);
      priority = Number(pc.value ?? 0);
      policy = typeof pc.preemptionPolicy === 'string' ? pc.preemptionPolicy : DEFAULT_PREEMPTION_POLICY;
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
      throw ApiError.forbidden(attrs.info, attrs.name, `the integer value of priority (${String(spec.priority)}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec.priority = priority;
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
      throw ApiError.forbidden(attrs.info, attrs.name, `the string value of PreemptionPolicy (${String(spec.preemptionPolicy)}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (!isPriorityClass(attrs)) return;
    const name = attrs.obj.metadata?.name ?? attrs.name;
    if (attrs.operation === 'DELETE') {
      if (SYSTEM_PRIORITY_CLASSES.some((c) => c.name === name)) throw ApiError.forbidden(attrs.info, attrs.name, `the system priority class ${name} cannot be deleted`);
      return;
    }
    if (attrs.subresource !== undefined || attrs.obj.globalDefault !== true) return;
    const other = this.classes.list().find((c) => c.globalDefault === true && c.metadata?.name !== name);
    if (other) throw ApiError.forbidden(attrs.info, attrs.name, `PriorityClass ${other.metadata?.name ?? ''} is already marked as default. Only one default can exist`);
  }

  /** The informer's copy, else a live read (a class created a moment ago), else a system class not yet created. */
  private async lookup(name: string): Promise<KubeObject | undefined> {
    const key = objectKey(PRIORITY_CLASSES, undefined, name);
    const cached = this.classes.get(key);
    if (cached) return cached;
    const kv = await this.store.get(key);
    return kv ? decodeObject(kv) : systemPriorityClass(name);
  }

  /** getDefaultPriority: the globalDefault class with the lowest value. */
  private globalDefault(): KubeObject | undefined {
    let best: KubeObject | undefined;
    for (const c of this.classes.list()) if (c.globalDefault === true && (!best || Number(c.value) < Number(best.value))) best = c;
    return best;
  }
}

/** Creates the system PriorityClasses that are missing (another master may have made them: AlreadyExists is fine). */
export async function ensureSystemPriorityClasses(create: (obj: KubeObject) => Promise<unknown>): Promise<void> {
  for (const { name } of SYSTEM_PRIORITY_CLASSES) {
    try {
      await create(systemPriorityClass(name) as KubeObject);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}
