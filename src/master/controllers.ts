/**
 * The workload controllers the elected leader runs beside the scheduler and the node controller.
 * Each kind's controller lives in its own folder under src/actors/ and exports a factory; this
 * list is the one place they are registered. What a controller gets (ControllerDeps) is the
 * actors' own contract (src/actors/controller-kit/controller.ts): kinds do not know their host.
 */
import { cronJobControllerFactory } from '../actors/cronjob/controller.ts';
import { daemonSetControllerFactory } from '../actors/daemonset/controller.ts';
import { deploymentControllerFactory } from '../actors/deployment/controller.ts';
import { garbageCollectorFactory } from '../actors/gc/collector.ts';
import { hpaControllerFactory } from '../actors/hpa/controller.ts';
import { jobControllerFactory } from '../actors/job/controller.ts';
import { nodeIpamControllerFactory } from '../actors/nodeipam/controller.ts';
import { replicaSetControllerFactory, replicationControllerFactory } from '../actors/replicaset/controller.ts';
import { serviceControllerFactory } from '../actors/service/controller.ts';
import { statefulSetControllerFactory } from '../actors/statefulset/controller.ts';
import { serviceAccountsControllerFactory } from '../actors/serviceaccount/controller.ts';
import { rootCaPublisherFactory } from '../actors/serviceaccount/root-ca-publisher.ts';
import { resourceQuotaControllerFactory } from '../actors/resourcequota/controller.ts';
import { persistentVolumeControllerFactory } from '../actors/volume/controller.ts';
import { defaultStorageClassFactory } from '../actors/volume/default-class.ts';
import { AllocationRepair } from '../registry/allocators/repair.ts';
import type { ControllerFactory } from '../actors/controller-kit/controller.ts';
import { kubernetesServiceFactory } from './kubernetes-service.ts';
import { clusterRoleAggregationFactory } from '../actors/clusterrole-aggregation/controller.ts';
import { taintEvictionControllerFactory } from '../actors/taint-eviction/controller.ts';

/** Registered controllers by name, started in this order. */
export const CONTROLLERS: readonly (readonly [string, ControllerFactory])[] = [
  ['nodeipam', nodeIpamControllerFactory],
  ['deployment', deploymentControllerFactory],
  ['replicaset', replicaSetControllerFactory],
  ['replicationcontroller', replicationControllerFactory],
  ['daemonset', daemonSetControllerFactory],
  ['statefulset', statefulSetControllerFactory],
  ['job', jobControllerFactory],
  ['cronjob', cronJobControllerFactory],
  ['horizontalpodautoscaler', (deps) => hpaControllerFactory(deps.metrics)(deps)],
  ['garbagecollector', garbageCollectorFactory],
  // Kubernetes' endpoints, endpointslice and endpointslicemirroring controllers: one Service machine each.
  ['service', serviceControllerFactory],
  // default/kubernetes: its ClusterIP, and Endpoints/EndpointSlice naming every master's API address.
  ['kubernetesservice', kubernetesServiceFactory],
  // Kubernetes' persistentvolume-binder, pvc- and pv-protection controllers and kactus' local provisioner: one machine per claim and per volume.
  ['persistentvolume', persistentVolumeControllerFactory],
  // The `local-path` StorageClass (default), as k3s ships it.
  ['defaultstorageclass', defaultStorageClassFactory],
  ['serviceallocationrepair', (deps) => new AllocationRepair({ store: deps.store, ranges: deps.serviceRanges, events: deps.events, logger: deps.logger })],
  // A `default` ServiceAccount in every namespace (pods run as it; ServiceAccount admission refuses pods naming a missing one).
  ['serviceaccount', serviceAccountsControllerFactory],
  // The ConfigMap `kube-root-ca.crt` (the cluster CA) in every namespace, for pods' token volumes.
  ['root-ca-cert-publisher', rootCaPublisherFactory],
  // ResourceQuota status: hard from spec, used recounted after deletes and periodically.
  ['resourcequota', resourceQuotaControllerFactory],
  // admin, edit, view (and any ClusterRole with an aggregationRule) hold the rules of the ClusterRoles they select.
  ['clusterrole-aggregation', clusterRoleAggregationFactory],
  // Kubernetes' taint-eviction-controller: pods on nodes with NoExecute taints they do not tolerate (or no longer: tolerationSeconds) are deleted.
  ['taint-eviction-controller', taintEvictionControllerFactory],
];
