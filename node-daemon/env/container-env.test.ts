/**
 * A container's environment: envFrom and env in the kubelet's order, `$(VAR)` against earlier
 * variables and service variables, every valueFrom source, `optional`, and the kubelet's
 * messages for what is missing; service variables; the downward API's values.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/api/object.ts';
import { ContainerConfigError } from '../../src/actors/pod/config-errors.ts';
import { configMap, secret, TestObjects } from '../test-objects.ts';
import { expandCommand, expandSubPathExpr, isValidEnvName, resolveContainerEnv, type EnvContext } from './container-env.ts';
import { envFieldValue, formatMap, goQuote, metadataField, resourceFieldValue } from './downward-api.ts';
import { serviceEnvFor, serviceVariables } from './service-env.ts';

const pod = (containers: JsonObject[], extra: JsonObject = {}): JsonObject => ({
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'say "hi"\n' } },
  spec: { nodeName: 'n1', serviceAccountName: 'builder', containers, ...extra },
});

const objects = new TestObjects({
  configmaps: [configMap('shop', 'cfg', { MODE: 'fast', LEVEL: '3', 'bad=key': 'x', '': 'empty' }), configMap('shop', 'more', { MODE: 'slow', EXTRA: 'e' })],
  secrets: [secret('shop', 'creds', { user: 'admin', password: 's3cr=t' })],
});

function ctx(over: Partial<EnvContext> = {}): EnvContext {
  return { objects, serviceEnv: {}, runtime: { podIP: '10.244.0.5', hostIP: '192.168.1.2' }, allocatable: { cpu: '4', memory: '8Gi' }, ...over };
}

function resolve(container: JsonObject, over: Partial<EnvContext> = {}) {
  return resolveContainerEnv(pod([container]), container, ctx(over));
}

function configError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ContainerConfigError);
    return (err as Error).message;
  }
  throw new Error('no ContainerConfigError');
}

describe('resolveContainerEnv', () => {
  it('envFrom in order (later wins), with a prefix; env after it overrides; invalid names skipped with the kubelet event', () => {
    const { env, warnings } = resolve({
      name: 'app',
      envFrom: [{ configMapRef: { name: 'cfg' } }, { configMapRef: { name: 'more' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }],
      env: [{ name: 'LEVEL', value: '9' }],
    });
    expect(env).toEqual({ MODE: 'slow', LEVEL: '9', EXTRA: 'e', DB_user: 'admin', DB_password: 's3cr=t' });
    expect(warnings).toEqual([
      {
        reason: 'InvalidEnvironmentVariableNames',
        message: 'Keys [, bad=key] from the EnvFrom configMap shop/cfg were skipped since they are considered invalid environment variable names.',
      },
    ]);
  });

  it('$(VAR) sees only variables defined before it, envFrom ones and service ones; a literal is never re-expanded', () => {
    const { env } = resolve(
      {
        name: 'app',
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [
          { name: 'A', value: '$(MODE)-$(B)' },
          { name: 'B', value: 'b' },
          { name: 'C', value: '$(A)/$(B)/$$(B)/$(API_SERVICE_HOST)' },
        ],
      },
      { serviceEnv: { API_SERVICE_HOST: '10.96.0.9' } },
    );
    expect(env.A).toBe('fast-$(B)');
    expect(env.C).toBe('fast-$(B)/b/$(B)/10.96.0.9');
    expect(env.API_SERVICE_HOST).toBe('10.96.0.9');
  });

  it('a variable the container sets is not replaced by a service variable', () => {
    const { env } = resolve({ name: 'app', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: 'mine' }] }, { serviceEnv: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
    expect(env).toEqual({ KUBERNETES_SERVICE_HOST: 'mine', KUBERNETES_SERVICE_PORT: '443' });
  });

  it('valueFrom: configMapKeyRef, secretKeyRef (decoded), fieldRef, resourceFieldRef', () => {
    const { env } = resolve({
      name: 'app',
      resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
      env: [
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
        { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
    });
    expect(env).toEqual({
      MODE: 'fast',
      PASS: 's3cr=t',
      POD: 'web-1',
      NS: 'shop',
      UID: 'u-1',
      APP: 'web',
      NOTE: 'say "hi"\n',
      NODE: 'n1',
      SA: 'builder',
      POD_IP: '10.244.0.5',
      HOST_IP: '192.168.1.2',
      MEM_MI: '64',
      CPU_REQ_M: '250',
      CPU_REQ: '1',
      CPU_LIMIT: '4',
    });
  });

  it('a missing required ConfigMap, Secret or key fails with the kubelet message', () => {
    expect(configError(() => resolve({ name: 'app', envFrom: [{ configMapRef: { name: 'nope' } }] }))).toBe('configmap "nope" not found');
    expect(configError(() => resolve({ name: 'app', envFrom: [{ secretRef: { name: 'nope' } }] }))).toBe('secret "nope" not found');
    expect(configError(() => resolve({ name: 'app', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }))).toBe('configmap "nope" not found');
    expect(configError(() => resolve({ name: 'app', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }))).toBe("couldn't find key k in ConfigMap shop/cfg");
    expect(configError(() => resolve({ name: 'app', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }))).toBe("couldn't find key k in Secret shop/creds");
    expect(configError(() => resolve({ name: 'app', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.dnsPolicy' } } }] }))).toBe('field label not supported: spec.dnsPolicy');
    expect(configError(() => resolve({ name: 'app', env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] }))).toBe('unsupported container resource : limits.gpu');
  });

  it('optional references to what is missing leave the variable unset', () => {
    const { env } = resolve({
      name: 'app',
      envFrom: [{ configMapRef: { name: 'nope', optional: true } }, { secretRef: { name: 'nope', optional: true } }],
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'B', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } },
        { name: 'C', valueFrom: { secretKeyRef: { name: 'creds', key: 'k', optional: true } } },
        { name: 'D', value: '' },
      ],
    });
    expect(env).toEqual({ D: '' });
  });

  it('not listed yet is not "missing": even an optional reference waits', () => {
    const unsynced = new TestObjects().unsync('configmaps');
    expect(configError(() => resolve({ name: 'app', envFrom: [{ configMapRef: { name: 'cfg', optional: true } }] }, { objects: unsynced }))).toBe(
      'failed to sync configmap cache: timed out waiting for the condition',
    );
  });
});

describe('command, args and subPathExpr expansion', () => {
  it('expands against the final environment', () => {
    expect(expandCommand(['sh', '-c', 'echo $(GREETING) $(NOPE) $$(GREETING)'], { GREETING: 'hi' })).toEqual(['sh', '-c', 'echo hi $(NOPE) $(GREETING)']);
    expect(expandCommand(undefined, {})).toBeUndefined();
  });

  it('subPathExpr needs every variable set and non-empty', () => {
    expect(expandSubPathExpr('logs/$(POD)', { POD: 'web-1' })).toBe('logs/web-1');
    expect(() => expandSubPathExpr('$(B)/$(A)/$(POD)', { POD: 'p', A: '' })).toThrow('missing value for A, B');
  });

  it('env names: printable ASCII but "="', () => {
    expect(isValidEnvName('my.var-1')).toBe(true);
    expect(isValidEnvName('1st var')).toBe(true);
    expect(isValidEnvName('a=b')).toBe(false);
    expect(isValidEnvName('')).toBe(false);
    expect(isValidEnvName('é')).toBe(false);
  });
});

describe('service variables', () => {
  const svc = (namespace: string, name: string, clusterIP: string, ports: JsonObject[]): JsonObject => ({ metadata: { namespace, name }, spec: { clusterIP, ports } });
  const services = new TestObjects({
    services: [
      svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
      svc('shop', 'redis-main', '10.96.3.4', [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'UDP' }]),
      svc('shop', 'headless', 'None', [{ port: 80 }]),
      svc('other', 'elsewhere', '10.96.7.7', [{ port: 80 }]),
    ],
  });

  it('are those of envvars.FromServices', () => {
    expect(serviceVariables(svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]))).toEqual({
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    });
  });

  it('cover the namespace with service links, only the kubernetes Service without', () => {
    const linked = serviceEnvFor(services, 'shop', true);
    expect(linked.REDIS_MAIN_SERVICE_HOST).toBe('10.96.3.4');
    expect(linked.REDIS_MAIN_SERVICE_PORT_METRICS).toBe('9121');
    expect(linked.REDIS_MAIN_PORT_9121_UDP).toBe('udp://10.96.3.4:9121');
    expect(linked.KUBERNETES_SERVICE_HOST).toBe('10.96.0.1');
    expect(Object.keys(linked).some((k) => k.startsWith('HEADLESS') || k.startsWith('ELSEWHERE'))).toBe(false);
    expect(Object.keys(serviceEnvFor(services, 'shop', false)).every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
  });

  it('are not made up before Services were listed', () => {
    expect(() => serviceEnvFor(new TestObjects().unsync('services'), 'shop', true)).toThrow('services have not yet been read at least once, cannot construct envvars');
  });
});

describe('downward API values', () => {
  const p = pod([{ name: 'app', resources: { limits: { cpu: '1500m', memory: '1Gi', 'ephemeral-storage': '2Gi' }, requests: { memory: '100M' } } }, { name: 'side' }]);

  it('labels and annotations as sorted key="value" lines with Go quoting', () => {
    expect(metadataField(p, 'metadata.labels')).toBe('app="web"\ntier="front"');
    expect(metadataField(p, 'metadata.annotations')).toBe('note="say \\"hi\\"\\n"');
    expect(formatMap({})).toBe('');
    expect(goQuote('tab\tbell\x07é😀\u200b')).toBe('"tab\\tbell\\aé😀\\u200b"');
    expect(metadataField(p, "metadata.labels['missing']")).toBe('');
    expect(() => metadataField(p, 'spec.nodeName')).toThrow('unsupported fieldPath: spec.nodeName');
    expect(() => metadataField(p, "metadata.name['x']")).toThrow('fieldPath "metadata.name[\'x\']" does not support subscript');
  });

  it('env-only fields and the old spec.host', () => {
    expect(envFieldValue(p, { fieldPath: 'spec.host' }, {})).toBe('n1');
    expect(envFieldValue(p, { fieldPath: 'status.podIPs' }, { podIP: '10.1.1.1' })).toBe('10.1.1.1');
    expect(() => envFieldValue(p, { apiVersion: 'v2', fieldPath: 'metadata.name' }, {})).toThrow('unsupported pod version: v2');
    expect(() => envFieldValue(p, { fieldPath: "spec.nodeName['x']" }, {})).toThrow("field label does not support subscript: spec.nodeName['x']");
  });

  it('resources rounded up by the divisor; unset limits are the node allocatable; other containers by name', () => {
    const alloc = { cpu: '4', memory: '8Gi' };
    expect(resourceFieldValue(p, { containerName: 'app', resource: 'limits.cpu' }, alloc)).toBe('2');
    expect(resourceFieldValue(p, { containerName: 'app', resource: 'limits.cpu', divisor: '1m' }, alloc)).toBe('1500');
    expect(resourceFieldValue(p, { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' }, alloc)).toBe('1024');
    expect(resourceFieldValue(p, { containerName: 'app', resource: 'requests.memory', divisor: '1Mi' }, alloc)).toBe('96');
    expect(resourceFieldValue(p, { containerName: 'app', resource: 'limits.ephemeral-storage', divisor: '1Gi' }, alloc)).toBe('2');
    expect(resourceFieldValue(p, { containerName: 'side', resource: 'limits.memory' }, alloc)).toBe(String(8 * 2 ** 30));
    expect(resourceFieldValue(p, { containerName: 'side', resource: 'requests.cpu' }, alloc)).toBe('0');
    expect(() => resourceFieldValue(p, { containerName: 'ghost', resource: 'limits.cpu' }, alloc)).toThrow('container ghost not found');
  });
});
