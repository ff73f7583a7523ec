/**
 * The HorizontalPodAutoscaler end to end on the real Docker engine: a busybox Deployment whose
 * pods burn CPU for a while is scaled up from the usage node daemons report (metrics.k8s.io, as
 * `kubectl top` shows it), and back down once the load stops.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { eventually, kubectlFor, ok, startKactusUp, uniqueName, type KactusServer, type Kubectl } from './harness.ts';
import { removeNodeLeftovers } from './node-containers.ts';

/**
 * The cluster samples usage and evaluates HPAs every 3 s (`--metric-resolution`,
 * `--horizontal-pod-autoscaler-sync-period`; both 15 s by default): a scaling decision takes a
 * few periods, and the deadline leaves room for a loaded machine.
 */
const PERIOD = '3s';
const SCALE_DEADLINE_MS = 45_000;
/** How long each pod burns a core after it starts. */
const BURN_S = 20;

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: burn
spec:
  replicas: 1
  selector:
    matchLabels: {app: burn}
  template:
    metadata:
      labels: {app: burn}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox
        command: ["sh", "-c", "trap 'exit 0' TERM; end=$(( $(date +%s) + ${BURN_S} )); while [ $(date +%s) -lt $end ]; do :; done; sleep 3600 & wait"]
        resources:
          requests: {cpu: 100m}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: burn
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 0}
`;

const docker = dockerClient();
const enabled = dockerRequired() || (await isDockerUp(docker));
const nodeName = uniqueName('e2e-hpa-');
let dir: string;
let up: KactusServer | undefined;
let kubectl: Kubectl;

const desiredReplicas = async (): Promise<string> => (await kubectl(['get', 'deploy', 'burn', '-o', 'jsonpath={.spec.replicas}'])).stdout;

describe.skipIf(!enabled)('HorizontalPodAutoscaler on a CPU-burning Deployment', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-hpa-'));
    up = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName, '--metric-resolution', PERIOD, '--horizontal-pod-autoscaler-sync-period', PERIOD] });
    kubectl = kubectlFor(up.kubeconfig, dir);
  }, 60_000);

  afterAll(async () => {
    await up?.proc.kill('SIGKILL');
    await removeNodeLeftovers(docker, nodeName);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scales up while the pods burn CPU, as kubectl top shows', async () => {
    ok(await kubectl(['apply', '-f', '-'], MANIFEST));
    const top = await eventually('kubectl top pods reports the burning pod', async () => (await kubectl(['top', 'pods', '-l', 'app=burn', '--no-headers'])).stdout, (out) => /^burn-\S+\s+(\d+)m\s/m.test(out) && Number(/^burn-\S+\s+(\d+)m/m.exec(out)![1]) > 100, SCALE_DEADLINE_MS);
    expect(top).toMatch(/^burn-\S+\s+\d+m\s+\d+Mi\s*$/m);
    await eventually('the HPA scaled the Deployment to its maximum', desiredReplicas, (r) => r === '3', SCALE_DEADLINE_MS);
    const events = ok(await kubectl(['get', 'events', '--field-selector', 'reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']));
    expect(events).toContain('New size: 3; reason: cpu resource utilization (percentage of request) above target');
  }, SCALE_DEADLINE_MS * 2);

  it('scales back down when the load stops', async () => {
    await eventually('the HPA scaled back to its minimum', desiredReplicas, (r) => r === '1', BURN_S * 1000 + SCALE_DEADLINE_MS);
    const events = ok(await kubectl(['get', 'events', '--field-selector', 'reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']));
    expect(events).toContain('New size: 1; reason: All metrics below target');
    ok(await kubectl(['delete', '-f', '-'], MANIFEST));
  }, BURN_S * 1000 + SCALE_DEADLINE_MS * 2);
});
