/** Pod objects for node-daemon tests, shaped as the master stores and assigns them. */
import { randomUUID } from 'node:crypto';
import type { RestartPolicy } from '../src/actors/pod/events.ts';

export interface TestContainer {
  name: string;
  /** Run as `sh -c <script>`. */
  script: string;
  image?: string;
  memoryLimit?: string;
}

export interface TestPod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; uid: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
  spec: Record<string, unknown>;
}

/** A pod bound to `nodeName` with busybox containers running `sh -c script`. */
export function testPod(nodeName: string, name: string, restartPolicy: RestartPolicy, containers: TestContainer[], extraSpec: Record<string, unknown> = {}): TestPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: randomUUID() },
    spec: {
      nodeName,
      restartPolicy,
      terminationGracePeriodSeconds: 30,
      containers: containers.map((c) => ({
        name: c.name,
        image: c.image ?? 'busybox:latest',
        command: ['sh', '-c', c.script],
        ...(c.memoryLimit ? { resources: { limits: { memory: c.memoryLimit } } } : {}),
      })),
      ...extraSpec,
    },
  };
}

/** The same pod marked for graceful deletion, as the API server marks it. */
export function deleting(pod: TestPod, graceSeconds: number): TestPod {
  return { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: graceSeconds } };
}

/** Reading a reported PodStatus without `any`. */
export interface ReportedContainer {
  name: string;
  restartCount: number;
  containerID?: string;
  state: { running?: unknown; waiting?: { reason?: string }; terminated?: { exitCode: number; reason?: string } };
}

export function phaseOf(status: Record<string, unknown> | undefined): string | undefined {
  return typeof status?.phase === 'string' ? status.phase : undefined;
}

export function containersOf(status: Record<string, unknown> | undefined): ReportedContainer[] {
  return Array.isArray(status?.containerStatuses) ? (status.containerStatuses as ReportedContainer[]) : [];
}

export function containerOf(status: Record<string, unknown> | undefined, name: string): ReportedContainer | undefined {
  return containersOf(status).find((c) => c.name === name);
}
