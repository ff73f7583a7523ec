/**
 * The resources the Service controller reads and writes, and the well-known labels and
 * annotations (k8s.io/api/discovery/v1 and core/v1 constants) its objects carry.
 */
import { findResource, type ResourceInfo } from '../../api/kinds.ts';

export const SERVICES = findResource('', 'v1', 'services') as ResourceInfo;
export const PODS = findResource('', 'v1', 'pods') as ResourceInfo;
export const NODES = findResource('', 'v1', 'nodes') as ResourceInfo;
export const ENDPOINTS = findResource('', 'v1', 'endpoints') as ResourceInfo;
export const ENDPOINT_SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices') as ResourceInfo;

/** discovery.LabelServiceName: the Service a slice belongs to. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** discovery.LabelManagedBy: which controller owns a slice. */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** v1.IsHeadlessService: set on the Endpoints and slices of a headless Service. */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
/** discovery.LabelSkipMirror: Endpoints the mirroring controller must leave alone. */
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
/** v1.EndpointsLastChangeTriggerTime. */
export const ANNOTATION_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** v1.EndpointsOverCapacity: set to `truncated` when an Endpoints object was cut at 1000 addresses. */
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
/** The node label a slice endpoint's zone comes from. */
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** Who manages a set of slices: the endpointslice controller (pods) or the mirroring controller (user Endpoints). */
export type SliceManager = 'endpointslice-controller.k8s.io' | 'endpointslicemirroring-controller.k8s.io';
export const SLICE_CONTROLLER: SliceManager = 'endpointslice-controller.k8s.io';
export const MIRRORING_CONTROLLER: SliceManager = 'endpointslicemirroring-controller.k8s.io';

/** Kubernetes' --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** The endpoints controller truncates an Endpoints object past this many addresses. */
export const MAX_ENDPOINTS_ADDRESSES = 1000;
