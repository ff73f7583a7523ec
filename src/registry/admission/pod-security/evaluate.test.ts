/**
 * The Pod Security Standards' checks, table-tested: each row a pod, the level it is judged
 * against, and the refusal Kubernetes 1.32 words for it (pod-security-admission's messages:
 * `reason (detail)`, baseline checks before restricted ones, each sorted by ID).
 */
import { describe, expect, it } from 'vitest';
import { checksFor, evaluatePod, forbiddenDetail, forbiddenReason } from './evaluate.ts';
import type { Level, PodParts, PolicyVersion } from './types.ts';

type Spec = Record<string, unknown>;

/** A pod that passes restricted: every check's safe values set. */
const SAFE_CONTAINER = { name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } };
const restrictedPod = (spec: Spec = {}, annotations: Record<string, string> = {}): PodParts => ({ metadata: { annotations }, spec: { containers: [SAFE_CONTAINER], ...spec } });
const container = (securityContext: Spec, name = 'c', extra: Spec = {}): Spec => ({ name, image: 'busybox', securityContext: { ...SAFE_CONTAINER.securityContext, ...securityContext }, ...extra });
const judge = (level: Level, pod: PodParts, version: PolicyVersion = 'latest'): string => forbiddenDetail(evaluatePod({ level, version }, pod));

const BASELINE_ROWS: [string, PodParts, string][] = [
  ['a pod within restricted', restrictedPod(), ''],
  ['a bare pod', { metadata: {}, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, ''],
  ['hostNetwork, hostPID, hostIPC', restrictedPod({ hostNetwork: true, hostPID: true, hostIPC: true }), 'host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)'],
  ['hostNetwork false', restrictedPod({ hostNetwork: false }), ''],
  ['a privileged container', restrictedPod({ containers: [container({ privileged: true })] }), 'privileged (container "c" must not set securityContext.privileged=true)'],
  ['two privileged, an init one first', restrictedPod({ initContainers: [container({ privileged: true }, 'init')], containers: [container({ privileged: true }, 'a')] }), 'privileged (containers "init", "a" must not set securityContext.privileged=true)'],
  ['added capabilities outside the default set', restrictedPod({ containers: [container({ capabilities: { drop: ['ALL'], add: ['SYS_ADMIN', 'NET_RAW', 'CHOWN'] } })] }), 'non-default capabilities (container "c" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)'],
  ['a hostPath volume', restrictedPod({ volumes: [{ name: 'h', hostPath: { path: '/' } }, { name: 'e', emptyDir: {} }] }), 'hostPath volumes (volume "h")'],
  ['host ports', restrictedPod({ containers: [container({}, 'c', { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 443 }, { containerPort: 82 }] })] }), 'hostPort (container "c" uses hostPorts 443, 8080)'],
  ['AppArmor Unconfined, field and annotation', restrictedPod({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }, { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' }), 'forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/c="unconfined"")'],
  ['AppArmor RuntimeDefault and localhost/', restrictedPod({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }, { 'container.apparmor.security.beta.kubernetes.io/c': 'localhost/p' }), ''],
  ['SELinux type, user and role', restrictedPod({ containers: [container({ seLinuxOptions: { type: 'spc_t', user: 'u', role: 'r' } })] }), 'seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set)'],
  ['SELinux container_t and a level', restrictedPod({ securityContext: { seLinuxOptions: { type: 'container_t', level: 's0:c1' } } }), ''],
  ['procMount Unmasked', restrictedPod({ containers: [container({ procMount: 'Unmasked' })] }), 'procMount (container "c" must not set securityContext.procMount to "Unmasked")'],
  ['seccomp Unconfined on the pod', restrictedPod({ securityContext: { seccompProfile: { type: 'Unconfined' } } }), 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'],
  ['unsafe sysctls', restrictedPod({ securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.ipv4.tcp_syncookies', value: '1' }, { name: 'net.ipv4.tcp_rmem', value: '1' }] } }), 'forbidden sysctls (kernel.msgmax)'],
  ['Windows hostProcess', restrictedPod({ securityContext: { windowsOptions: { hostProcess: true } } }), 'hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)'],
  [
    'several at once, in Kubernetes order',
    restrictedPod({ hostPID: true, containers: [container({ privileged: true }, 'c', { ports: [{ containerPort: 1, hostPort: 1 }] })], volumes: [{ name: 'v', hostPath: { path: '/x' } }] }),
    'host namespaces (hostPID=true), hostPath volumes (volume "v"), hostPort (container "c" uses hostPort 1), privileged (container "c" must not set securityContext.privileged=true)',
  ],
];

const RESTRICTED_ROWS: [string, PodParts, string][] = [
  ['a pod within restricted', restrictedPod(), ''],
  [
    'a bare pod',
    { metadata: {}, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  ],
  ['allowPrivilegeEscalation true', restrictedPod({ containers: [container({ allowPrivilegeEscalation: true })] }), 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)'],
  ['adding NET_BIND_SERVICE is allowed', restrictedPod({ containers: [container({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } })] }), ''],
  ['adding CHOWN (default set, but not restricted)', restrictedPod({ containers: [container({ capabilities: { drop: ['NET_RAW'], add: ['CHOWN'] } })] }), 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "CHOWN" in securityContext.capabilities.add)'],
  ['adding SYS_ADMIN: restricted replaces the baseline capabilities check', restrictedPod({ containers: [container({ capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } })] }), 'unrestricted capabilities (container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add)'],
  ['an nfs and a hostPath volume: restricted replaces the hostPath check', restrictedPod({ volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }, { name: 'h', hostPath: { path: '/' } }, { name: 'ok', configMap: { name: 'x' } }] }), 'restricted volume types (volumes "n", "h" use restricted volume types "hostPath", "nfs")'],
  ['runAsNonRoot on the pod covers its containers', restrictedPod({ securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'b', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'Localhost', localhostProfile: 'p' } } }] }), ''],
  ['runAsNonRoot false on pod and container', restrictedPod({ securityContext: { runAsNonRoot: false }, containers: [container({ runAsNonRoot: false })] }), 'runAsNonRoot != true (pod and container "c" must not set securityContext.runAsNonRoot=false)'],
  ['runAsUser 0', restrictedPod({ securityContext: { runAsUser: 0 } }), 'runAsUser=0 (pod must not set runAsUser=0)'],
  ['runAsUser 1000', restrictedPod({ securityContext: { runAsUser: 1000 } }), ''],
  ['seccomp on the pod covers its containers', restrictedPod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [container({ seccompProfile: undefined })] }), ''],
  ['seccomp Unconfined on a container: restricted replaces the baseline seccomp check', restrictedPod({ containers: [container({ seccompProfile: { type: 'Unconfined' } })] }), 'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")'],
];

describe('Pod Security Standards checks', () => {
  it.each(BASELINE_ROWS)('baseline: %s', (_, pod, expected) => {
    expect(judge('baseline', pod)).toBe(expected);
  });

  it.each(RESTRICTED_ROWS)('restricted: %s', (_, pod, expected) => {
    expect(judge('restricted', pod)).toBe(expected);
  });

  it('refuses nothing at privileged', () => {
    expect(judge('privileged', restrictedPod({ hostNetwork: true, containers: [container({ privileged: true })] }))).toBe('');
  });

  it('applies the checks of the version asked for', () => {
    const sysctl = restrictedPod({ securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '1' }] } });
    expect(judge('baseline', sysctl, 31)).toBe('forbidden sysctls (net.ipv4.tcp_rmem)');
    expect(judge('baseline', sysctl, 32)).toBe('');
    // runAsUser is a restricted check from v1.23; capabilities_restricted from v1.22, before which baseline's applies.
    expect(judge('restricted', restrictedPod({ securityContext: { runAsUser: 0 } }), 22)).toBe('');
    const sysAdmin = restrictedPod({ containers: [container({ capabilities: { add: ['SYS_ADMIN'] } })] });
    expect(judge('restricted', sysAdmin, 21)).toBe('non-default capabilities (container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add)');
    // Before v1.19 seccomp lives in annotations.
    const annotated = restrictedPod({}, { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' });
    expect(judge('baseline', annotated, 18)).toBe('seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")');
    expect(judge('baseline', annotated, 19)).toBe('');
    expect(checksFor({ level: 'restricted', version: 'latest' }).map((c) => c.id)).toEqual([
      'appArmorProfile', 'hostNamespaces', 'hostPorts', 'privileged', 'procMount', 'seLinuxOptions', 'sysctls', 'windowsHostProcess',
      'allowPrivilegeEscalation', 'capabilities_restricted', 'restrictedVolumes', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted',
    ]);
  });

  it('gives the reasons alone for grouping many pods', () => {
    expect(forbiddenReason(evaluatePod({ level: 'baseline', version: 'latest' }, restrictedPod({ hostIPC: true, containers: [container({ privileged: true })] })))).toBe('host namespaces, privileged');
  });
});
