/**
 * Service allocation as Kubernetes' API server does it (pkg/registry/core/service/storage/alloc.go),
 * synchronously inside create, update and delete: IP family fields, the ClusterIP from the
 * service CIDR, a node port per port for NodePort and LoadBalancer services, the health-check
 * node port for LoadBalancer + externalTrafficPolicy Local; released when a delete or an update
 * (type change, port removed) lets go of them. The registry commits the plan in one transaction
 * with the Service (WriteHooks); this file decides what to claim and release, with Kubernetes'
 * error wording.
 */
import { ApiError } from '../../api/status.ts';
import { invalid } from '../../api/field.ts';
import { childRecord, isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import {
  allocatesNodePorts,
  clusterIPsOf,
  CLUSTER_IP_NONE,
  healthCheckNodePortOf,
  isHeadless,
  needsClusterIP,
  needsHealthCheckNodePort,
  needsNodePort,
  nodePortsOf,
} from '../../api/service.ts';
import { goStringSlice, invalidRendered } from '../../api/validation/service.ts';
import type { Store } from '../../store/types.ts';
import type { WriteOptions } from '../types.ts';
import type { SideWrites, WriteHooks } from '../write-hooks.ts';
import { AllocationCache } from './allocation-cache.ts';
import { AllocationPlan, invalidService } from './allocation-plan.ts';
import { candidateOffsets, ipInRange, numberToIPv4, portInRange, type ServiceRanges } from './ranges.ts';
import { clusterIPKey, nodePortKey, ownerOf } from './records.ts';

export class ServiceAllocator implements WriteHooks {
  constructor(
    private readonly store: Store,
    readonly ranges: ServiceRanges,
    readonly cache: AllocationCache,
    private readonly random: () => number = Math.random,
  ) {}

  async beforeCreate(svc: KubeObject, opts: WriteOptions): Promise<SideWrites> {
    await this.cache.ready();
    const plan = new AllocationPlan(this.store, this.cache, ownerOf(svc));
    initIPFamilyFields(svc);
    if (needsClusterIP(svc)) this.allocateClusterIP(svc, plan);
    if (needsNodePort(svc)) this.allocateNodePorts(svc, plan);
    if (needsHealthCheckNodePort(svc)) this.allocateHealthCheckNodePort(svc, plan);
    return plan.sideWrites(Boolean(opts.dryRun));
  }

  async beforeUpdate(oldSvc: KubeObject, svc: KubeObject, opts: WriteOptions): Promise<SideWrites> {
    await this.cache.ready();
    const plan = new AllocationPlan(this.store, this.cache, ownerOf(oldSvc));
    initIPFamilyFields(svc);
    // ExternalName ⇄ the others: the cluster IP comes or goes (headless Services hold none).
    if (!needsClusterIP(oldSvc) && needsClusterIP(svc)) this.allocateClusterIP(svc, plan);
    if (needsClusterIP(oldSvc) && !needsClusterIP(svc)) for (const ip of heldIPs(oldSvc)) await plan.release(clusterIPKey(ip));
    // Node ports: new ones claimed, ones the new spec no longer has released.
    const oldPorts = needsNodePort(oldSvc) ? nodePortsOf(oldSvc) : [];
    if (needsNodePort(svc)) this.updateNodePorts(oldPorts, svc, plan);
    const kept = needsNodePort(svc) ? nodePortsOf(svc) : [];
    for (const port of oldPorts) if (!kept.includes(port)) await plan.release(nodePortKey(port));
    await this.updateHealthCheckNodePort(oldSvc, svc, plan);
    return plan.sideWrites(Boolean(opts.dryRun));
  }

  async beforeDelete(oldSvc: KubeObject): Promise<SideWrites> {
    const plan = new AllocationPlan(this.store, this.cache, ownerOf(oldSvc));
    for (const ip of heldIPs(oldSvc)) await plan.release(clusterIPKey(ip));
    for (const port of nodePortsOf(oldSvc)) await plan.release(nodePortKey(port));
    const hc = healthCheckNodePortOf(oldSvc);
    if (hc) await plan.release(nodePortKey(hc));
    return plan.sideWrites(false);
  }

  /** The requested ClusterIP claimed, or a free one picked (headless Services get none). */
  private allocateClusterIP(svc: KubeObject, plan: AllocationPlan): void {
    if (isHeadless(svc)) return;
    const spec = childRecord(svc, 'spec');
    const requested = clusterIPsOf(svc)[0];
    const name = svc.metadata?.name ?? '';
    if (requested) {
      const fail = (reason: string): ApiError =>
        invalidService(name, [invalidRendered('spec.clusterIPs', goStringSlice(clusterIPsOf(svc)), `failed to allocate IP ${requested}: ${reason}`)]);
      if (!ipInRange(this.ranges.clusterIPs, requested)) throw fail(`provided IP ${requested} is not in the valid range`);
      plan.claimRequested(clusterIPKey(requested), () => fail('provided IP is already allocated'));
      return;
    }
    const { first, last, offset } = this.ranges.clusterIPs;
    const picked = plan.claimFirstFree(candidateOffsets(last - first + 1, offset, this.random), (o) => clusterIPKey(numberToIPv4(first + o)));
    if (picked === undefined) throw ApiError.internal(new Error('failed to allocate a serviceIP: range is full'));
    const ip = numberToIPv4(first + picked);
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }

  /**
   * Kubernetes' initNodePorts: ports sharing a port number (53/TCP and 53/UDP) share one node
   * port; a requested node port is claimed, a missing one picked.
   */
  private allocateNodePorts(svc: KubeObject, plan: AllocationPlan): void {
    const ports = recordList(childRecord(svc, 'spec'), 'ports');
    const byPort = new Map<unknown, number>();
    ports.forEach((p, i) => {
      const requested = nodePortOf(p);
      if (!requested && !allocatesNodePorts(svc)) return;
      const shared = byPort.get(p.port);
      if (shared === undefined) {
        const np = ports.find((q) => q.port === p.port && nodePortOf(q))?.nodePort as number | undefined;
        p.nodePort = np ? this.claimNodePort(svc, plan, np, i) : this.pickNodePort(plan);
        byPort.set(p.port, p.nodePort as number);
      } else if (requested !== shared) {
        if (!requested) p.nodePort = shared;
        else this.claimNodePort(svc, plan, requested, i);
      }
    });
  }

  /** Kubernetes' updateNodePorts: node ports the old spec held stay; new requested ones are claimed; missing ones picked. */
  private updateNodePorts(oldPorts: number[], svc: KubeObject, plan: AllocationPlan): void {
    recordList(childRecord(svc, 'spec'), 'ports').forEach((p, i) => {
      const requested = nodePortOf(p);
      if (!requested && !allocatesNodePorts(svc)) return;
      if (!requested) p.nodePort = this.pickNodePort(plan);
      else if (!oldPorts.includes(requested) && !plan.isClaimed(nodePortKey(requested))) this.claimNodePort(svc, plan, requested, i);
    });
  }

  private claimNodePort(svc: KubeObject, plan: AllocationPlan, port: number, index: number): number {
    const fail = (reason: string): ApiError => invalidService(svc.metadata?.name ?? '', [invalid(`spec.ports[${index}].nodePort`, port, reason)]);
    if (!portInRange(this.ranges.nodePorts, port)) throw fail(`provided port is not in the valid range. The range of valid ports is ${this.ranges.nodePorts.text}`);
    plan.claimRequested(nodePortKey(port), () => fail('provided port is already allocated'));
    return port;
  }

  private pickNodePort(plan: AllocationPlan, what = 'a nodePort'): number {
    const { base, size, offset } = this.ranges.nodePorts;
    const picked = plan.claimFirstFree(candidateOffsets(size, offset, this.random), (o) => nodePortKey(base + o));
    if (picked === undefined) throw ApiError.internal(new Error(`failed to allocate ${what}: range is full`));
    return base + picked;
  }

  private allocateHealthCheckNodePort(svc: KubeObject, plan: AllocationPlan): void {
    const spec = childRecord(svc, 'spec');
    const requested = healthCheckNodePortOf(svc);
    if (!requested) {
      spec.healthCheckNodePort = this.pickNodePort(plan, 'a HealthCheck NodePort');
      return;
    }
    const fail = (reason: string): ApiError => ApiError.internal(new Error(`failed to allocate requested HealthCheck NodePort ${requested}: ${reason}`));
    if (!portInRange(this.ranges.nodePorts, requested)) throw fail(`provided port is not in the valid range. The range of valid ports is ${this.ranges.nodePorts.text}`);
    plan.claimRequested(nodePortKey(requested), () => fail('provided port is already allocated'));
  }

  /** Kubernetes' updateHealthCheckNodePort: allocated when first needed, released when no longer, never changed. */
  private async updateHealthCheckNodePort(oldSvc: KubeObject, svc: KubeObject, plan: AllocationPlan): Promise<void> {
    const needed = needsHealthCheckNodePort(oldSvc);
    const needs = needsHealthCheckNodePort(svc);
    const oldPort = healthCheckNodePortOf(oldSvc);
    if (!needed && needs) this.allocateHealthCheckNodePort(svc, plan);
    else if (needed && !needs && oldPort) await plan.release(nodePortKey(oldPort));
    else if (needed && needs && healthCheckNodePortOf(svc) !== oldPort) {
      throw invalidService(svc.metadata?.name ?? '', [
        invalid('spec.healthCheckNodePort', healthCheckNodePortOf(svc), 'cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update'),
      ]);
    }
  }
}

/** The cluster IPs a Service holds records for (none when headless). */
function heldIPs(svc: KubeObject): string[] {
  return clusterIPsOf(svc).filter((ip) => ip !== CLUSTER_IP_NONE && ip !== '');
}

function nodePortOf(p: JsonObject): number {
  return typeof p.nodePort === 'number' ? p.nodePort : 0;
}

/**
 * Kubernetes' initIPFamilyFields on a single-stack IPv4 cluster: ipFamilyPolicy defaults to
 * SingleStack (RequireDualStack for headless Services without a selector, which then list both
 * families), ipFamilies to [IPv4]; IPv6 and RequireDualStack are refused.
 */
export function initIPFamilyFields(svc: KubeObject): void {
  if (!needsClusterIP(svc)) return;
  const spec = childRecord(svc, 'spec');
  const name = svc.metadata?.name ?? '';
  const headlessSelectorless = isHeadless(svc) && !(isRecord(spec.selector) && Object.keys(spec.selector).length > 0);
  spec.ipFamilyPolicy ??= headlessSelectorless ? 'RequireDualStack' : 'SingleStack';
  const families = Array.isArray(spec.ipFamilies) ? (spec.ipFamilies as string[]) : [];
  const ips = clusterIPsOf(svc);
  for (let i = 0; i < ips.length && ips[i] !== CLUSTER_IP_NONE; i++) {
    if (ips[i].includes(':')) throw invalidService(name, [invalidRendered(`spec.clusterIPs[${i}]`, goStringSlice(ips), 'IPv6 is not configured on this cluster')]);
    if (i >= families.length) families.push('IPv4');
  }
  if (headlessSelectorless) {
    if (families.length === 0) families.push('IPv4');
    if (families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    spec.ipFamilies = families;
    return;
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack') {
    throw invalidService(name, [invalid('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services')]);
  }
  const unconfigured = families.flatMap((f, i) => (f === 'IPv4' ? [] : [invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster')]));
  if (unconfigured.length) throw invalidService(name, unconfigured);
  if (families.length === 0) families.push('IPv4');
  spec.ipFamilies = families;
}
