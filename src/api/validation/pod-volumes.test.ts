/** Pod volume and configuration rules, with Kubernetes' field paths and messages. */
import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../field.ts';
import type { JsonObject } from '../object.ts';
import { validatePodSpec } from './pod.ts';

function errors(spec: JsonObject): string[] {
  return validatePodSpec({ containers: [{ name: 'app', image: 'busybox' }], ...spec }, 'spec').map(fieldErrorString);
}

function container(extra: JsonObject): JsonObject {
  return { containers: [{ name: 'app', image: 'busybox', ...extra }] };
}

describe('pod volume rules', () => {
  it('accepts every source the node sets up', () => {
    expect(
      errors({
        volumes: [
          { name: 'a', emptyDir: { medium: 'Memory' } },
          { name: 'b', hostPath: { path: '/srv', type: 'DirectoryOrCreate' } },
          { name: 'c', configMap: { name: 'x', defaultMode: 0o644, items: [{ key: 'k', path: 'sub/k', mode: 0o400 }] } },
          { name: 'd', secret: { secretName: 's' } },
          { name: 'e', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory' } }] } },
          { name: 'f', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt' } }] } },
          { name: 'g', persistentVolumeClaim: { claimName: 'data' } },
        ],
        ...container({ volumeMounts: [{ name: 'a', mountPath: '/a', subPath: 'x/y' }, { name: 'c', mountPath: '/c' }], env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }], envFrom: [{ prefix: 'P_', configMapRef: { name: 'x' } }] }),
      }),
    ).toEqual([]);
  });

  it.each([
    [{ volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }] }, 'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type'],
    [{ volumes: [{ name: 'v', configMap: { name: 'x', items: [{ key: 'k', path: '../etc' }] } }] }, 'spec.volumes[0].configMap.items[0].path: Invalid value: "../etc": must not contain \'..\''],
    [{ volumes: [{ name: 'v', configMap: { name: 'x', items: [{ key: 'k', path: '/etc' }] } }] }, 'spec.volumes[0].configMap.items[0].path: Invalid value: "/etc": must be a relative path'],
    [{ volumes: [{ name: 'v', secret: { secretName: 'x', items: [{ key: 'k', path: '..data' }] } }] }, 'spec.volumes[0].secret.items[0].path: Invalid value: "..data": must not start with \'..\''],
    [{ volumes: [{ name: 'v', secret: { secretName: 'x', items: [{ path: 'p' }] } }] }, 'spec.volumes[0].secret.items[0].key: Required value'],
    [{ volumes: [{ name: 'v', configMap: { name: 'x', defaultMode: 1000 } }] }, 'spec.volumes[0].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive'],
    [{ volumes: [{ name: 'v', hostPath: { path: '/x', type: 'Dir' } }] }, 'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'],
    [{ volumes: [{ name: 'v', persistentVolumeClaim: {} }] }, 'spec.volumes[0].persistentVolumeClaim.claimName: Required value'],
    [{ volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 60 } }] } }] }, 'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes'],
    [{ volumes: [{ name: 'v', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'spec.nodeName' } }] } }] }, 'spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"'],
  ])('%j', (spec, message) => {
    expect(errors(spec)).toContain(message);
  });
});

describe('container mount and env rules', () => {
  const volumes = [{ name: 'v', emptyDir: {} }];
  it.each([
    [{ volumeMounts: [{ name: 'v', mountPath: '/a', subPath: '../x' }] }, 'spec.containers[0].volumeMounts[0].subPath: Invalid value: "../x": must not contain \'..\''],
    [{ volumeMounts: [{ name: 'v', mountPath: '/a', subPath: '/x' }] }, 'spec.containers[0].volumeMounts[0].subPath: Invalid value: "/x": must be a relative path'],
    [{ volumeMounts: [{ name: 'v', mountPath: '/a', subPath: 'x', subPathExpr: '$(P)' }] }, 'spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "$(P)": subPathExpr and subPath are mutually exclusive'],
    [{ volumeMounts: [{ name: 'v', mountPath: '/a' }, { name: 'v', mountPath: '/a' }] }, 'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/a": must be unique'],
    [{ env: [{ name: 'X', valueFrom: {} }] }, 'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'],
    [{ env: [{ name: 'X', value: 'v', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, 'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
    [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c' } } }] }, 'spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Required value'],
    [{ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } }] }, expect.stringMatching(/^spec\.containers\[0\]\.env\[0\]\.valueFrom\.fieldRef\.fieldPath: Unsupported value: "metadata\.labels"/)],
    [{ env: [{ value: 'x' }] }, 'spec.containers[0].env[0].name: Required value'],
    [{ envFrom: [{ prefix: 'X' }] }, 'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`'],
  ])('%j', (extra, message) => {
    expect(errors({ volumes, ...container(extra) })).toContainEqual(message);
  });
});
