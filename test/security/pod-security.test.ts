/**
 * PodSecurity admission through the real kubectl 1.32 against a real API server: namespaces
 * labelled `pod-security.kubernetes.io/enforce|warn|audit` refuse, warn about and audit pods and
 * the pod templates of workloads, with Kubernetes' messages (the checks themselves are
 * table-tested in src/registry/admission/pod-security/evaluate.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../src/api/kinds.ts';
import { AUDIT_VIOLATIONS_ANNOTATION } from '../../src/registry/admission/pod-security.ts';
import { startTestCluster, type TestCluster } from '../apiserver/harness.ts';
import { recordFigure } from '../support/figures.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;

const privilegedPod = (name: string, namespace: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  containers:
  - name: c
    image: busybox
    securityContext: {privileged: true}
`;

const restrictedPod = (name: string, namespace: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: busybox
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;

const RESTRICTED_REFUSAL =
  'pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe('PodSecurity admission with kubectl', () => {
  let cluster: TestCluster;
  let cases = 0;

  beforeAll(async () => {
    cluster = await startTestCluster();
  });

  afterAll(async () => {
    recordFigure('PodSecurity: kubectl cases checked', cases);
    await cluster?.close();
  });

  const kubectl = async (args: string[], input?: string) => {
    cases += 1;
    return cluster.kubectl(args, input);
  };

  it('a namespace labelled enforce=restricted refuses a privileged pod with Kubernetes\' message, and takes a restricted one', async () => {
    expect((await kubectl(['create', 'namespace', 'locked'])).code).toBe(0);
    expect((await kubectl(['label', 'namespace', 'locked', 'pod-security.kubernetes.io/enforce=restricted'])).code).toBe(0);
    const refused = await kubectl(['apply', '-f', '-'], privilegedPod('priv', 'locked'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`Error from server (Forbidden): error when creating "STDIN": ${RESTRICTED_REFUSAL}`);
    const created = await kubectl(['apply', '-f', '-'], restrictedPod('fine', 'locked'));
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('pod/fine created');
  });

  it('enforce=baseline takes what restricted would refuse, and refuses host namespaces', async () => {
    await kubectl(['create', 'namespace', 'base']);
    await kubectl(['label', 'namespace', 'base', 'pod-security.kubernetes.io/enforce=baseline', 'pod-security.kubernetes.io/enforce-version=v1.32']);
    const plain = await kubectl(['run', 'plain', '-n', 'base', '--image=busybox', '--restart=Never']);
    expect(plain.code).toBe(0);
    const host = await kubectl(['run', 'host', '-n', 'base', '--image=busybox', '--restart=Never', '--overrides={"spec":{"hostNetwork":true}}']);
    expect(host.stderr).toContain('pods "host" is forbidden: violates PodSecurity "baseline:v1.32": host namespaces (hostNetwork=true)');
  });

  it('warn=baseline admits a privileged pod with the Warning kubectl prints, and warns about a Deployment\'s template', async () => {
    await kubectl(['create', 'namespace', 'warned']);
    await kubectl(['label', 'namespace', 'warned', 'pod-security.kubernetes.io/warn=baseline']);
    const created = await kubectl(['apply', '-f', '-'], privilegedPod('priv', 'warned'));
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('Warning: would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
    const deployment = await kubectl(['create', 'deployment', 'web', '-n', 'warned', '--image=busybox', '--port=80', '--dry-run=server', '-o', 'name']);
    expect(deployment.stderr).toBe('');
    const hostPorted = await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: warned}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: busybox, ports: [{containerPort: 80, hostPort: 8080}]}]
`,
    );
    expect(hostPorted.code).toBe(0);
    expect(hostPorted.stderr).toContain('Warning: would violate PodSecurity "baseline:latest": hostPort (container "web" uses hostPort 8080)');
  });

  it('making enforce stricter warns about the pods already there; a bad label value is a 422', async () => {
    const labelled = await kubectl(['label', 'namespace', 'warned', 'pod-security.kubernetes.io/enforce=baseline']);
    expect(labelled.code).toBe(0);
    expect(labelled.stderr).toContain('Warning: existing pods in namespace "warned" violate the new PodSecurity enforce level "baseline:latest"');
    expect(labelled.stderr).toContain('Warning: priv: privileged');
    const bad = await kubectl(['label', 'namespace', 'warned', '--overwrite', 'pod-security.kubernetes.io/enforce=strict']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
    // An existing violating pod may still be relabelled: only image and seccomp changes are judged again.
    expect((await kubectl(['label', 'pod', 'priv', '-n', 'warned', 'tier=x'])).code).toBe(0);
  });

  it('audit mode records its finding as an audit annotation of the request', async () => {
    await kubectl(['create', 'namespace', 'audited']);
    await kubectl(['label', 'namespace', 'audited', 'pod-security.kubernetes.io/audit=restricted']);
    const annotations: Record<string, string> = {};
    await cluster.server.registry.create(PODS, 'audited', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, { onAuditAnnotation: (k, v) => (annotations[k] = v) });
    expect(annotations[AUDIT_VIOLATIONS_ANNOTATION]).toMatch(/^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });

  it('kube-system is not exempt, as in Kubernetes', async () => {
    await kubectl(['label', 'namespace', 'kube-system', 'pod-security.kubernetes.io/enforce=baseline']);
    const refused = await kubectl(['apply', '-f', '-'], privilegedPod('priv', 'kube-system'));
    expect(refused.stderr).toContain('pods "priv" is forbidden: violates PodSecurity "baseline:latest"');
  });
});
