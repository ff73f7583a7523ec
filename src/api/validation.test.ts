import { describe, expect, it } from 'vitest';
import { applyDefaults } from './defaults.ts';
import { fieldErrorString } from './field.ts';
import { allResources, findResource, type ResourceInfo } from './kinds.ts';
import type { KubeObject } from './object.ts';
import { toApiError, validateObject, validateUpdate, type SchemaLookup } from './validation.ts';
import { hasSchemaValidator } from './validation/schema.ts';

const info = (group: string, resource: string, version = 'v1'): ResourceInfo => findResource(group, version, resource)!;
const pods = info('', 'pods');

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const PORT_NAME_MSG = 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)';
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p', namespace: 'default' }): KubeObject {
  return applyDefaults(pods, { apiVersion: 'v1', kind: 'Pod', metadata, spec });
}

async function messages(resource: ResourceInfo, obj: KubeObject, strict = false): Promise<string[]> {
  return (await validateObject(resource, obj, { strict })).map(fieldErrorString);
}

describe('validateObject', () => {
  it('has a schema validator for every stored registry kind (versions served by conversion are validated as stored)', () => {
    for (const r of allResources().filter((r) => r.storageVersion === r.version)) expect(hasSchemaValidator(r), r.kind).toBe(true);
  });

  it('accepts a valid defaulted pod', async () => {
    expect(await messages(pods, pod({ containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, name: 'http' }] }] }))).toEqual([]);
  });

  it.each([
    ['missing image', { containers: [{ name: 'c' }] }, ['spec.containers[0].image: Required value']],
    ['no containers', { containers: [] }, ['spec.containers: Required value']],
    ['bad container name', { containers: [{ name: 'Web_1', image: 'b' }] }, [`spec.containers[0].name: Invalid value: "Web_1": ${LABEL_MSG}`]],
    [
      'duplicate names across init and main containers',
      { containers: [{ name: 'c', image: 'b' }], initContainers: [{ name: 'c', image: 'b' }] },
      ['spec.initContainers[0].name: Duplicate value: "c"'],
    ],
    [
      'restart policy',
      { restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'b' }] },
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
    [
      'port out of range',
      { containers: [{ name: 'c', image: 'b', ports: [{ containerPort: 70000 }] }] },
      ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ],
    [
      'port of the wrong type (schema)',
      { containers: [{ name: 'c', image: 'b', ports: [{ containerPort: 'eighty' }] }] },
      ['spec.containers[0].ports[0].containerPort: Invalid value: "string": spec.containers[0].ports[0].containerPort in body must be of type integer: "string"'],
    ],
    [
      'liveness probe with a success threshold other than 1',
      { containers: [{ name: 'c', image: 'b', livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } }] },
      ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ],
    [
      'startup probe with two handlers and a negative period',
      { containers: [{ name: 'c', image: 'b', startupProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 }, periodSeconds: -1 } }] },
      [
        'spec.containers[0].startupProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
        'spec.containers[0].startupProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0',
      ],
    ],
    [
      'readiness probe without a handler, with a grace',
      { containers: [{ name: 'c', image: 'b', readinessProbe: { periodSeconds: 5, terminationGracePeriodSeconds: 3 } }] },
      [
        'spec.containers[0].readinessProbe: Required value: must specify a handler type',
        'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 3: must not be set for readinessProbes',
      ],
    ],
    [
      'probe ports: out of range, a bad name, missing',
      {
        containers: [
          {
            name: 'c',
            image: 'b',
            livenessProbe: { httpGet: { port: 70000 } },
            readinessProbe: { tcpSocket: { port: 'Web_Port' } },
            startupProbe: { grpc: {} },
          },
        ],
      },
      [
        'spec.containers[0].livenessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive',
        `spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: "Web_Port": ${PORT_NAME_MSG}`,
        'spec.containers[0].startupProbe.grpc.port: Required value',
      ],
    ],
    [
      'volume mount of an undeclared volume',
      { containers: [{ name: 'c', image: 'b', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] },
      ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    ],
  ])('pod: %s', async (_name, spec, expected) => {
    expect(await messages(pods, pod(spec))).toEqual(expected);
  });

  it.each([
    [pods, { name: 'Bad_Name', namespace: 'default' }, [`metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`]],
    [pods, { namespace: 'default' }, ['metadata.name: Required value: name or generateName is required']],
    [pods, { name: 'p' }, ['metadata.namespace: Required value']],
    [info('', 'namespaces'), { name: 'a.b' }, [`metadata.name: Invalid value: "a.b": ${LABEL_MSG}`]],
    [info('', 'services'), { name: '1svc', namespace: 'd' }, [`metadata.name: Invalid value: "1svc": ${DNS1035_MSG}`]],
    [info('', 'nodes'), { name: 'n', namespace: 'd' }, ['metadata.namespace: Forbidden: not allowed on this type']],
    [
      pods,
      { name: 'p', namespace: 'default', labels: { 'bad key!': 'v' } },
      [
        'metadata.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
      ],
    ],
    [pods, { name: 'p', namespace: 'default', labels: { a: 'x'.repeat(64) } }, [`metadata.labels: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`]],
  ])('metadata %#', async (resource, metadata, expected) => {
    const obj: KubeObject =
      resource === pods ? pod({ containers: [{ name: 'c', image: 'b' }] }, metadata) : { apiVersion: 'v1', kind: resource.kind, metadata, spec: {} };
    if (resource.kind === 'Service') obj.spec = { ports: [{ port: 80, protocol: 'TCP' }], sessionAffinity: 'None' };
    expect(await messages(resource, obj)).toEqual(expected);
  });

  it.each([
    [info('', 'configmaps'), { metadata: { name: 'c', namespace: 'd' }, data: { 'bad key': 'v' } }, 'data[bad key]: Invalid value: "bad key": a valid config key must consist'],
    [info('', 'secrets'), { metadata: { name: 's', namespace: 'd' }, type: 'Opaque', data: { a: 'not base64!' } }, 'data[a]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3'],
    [info('', 'secrets'), { metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls', data: {} }, 'data[tls.crt]: Required value'],
    [info('', 'nodes'), { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } }, 'spec.taints[0].effect: Unsupported value: "Sometimes"'],
    [info('', 'services'), { metadata: { name: 's', namespace: 'd' }, spec: { ports: [{ port: 80 }, { port: 81 }] } }, 'spec.ports[0].name: Required value'],
    [info('', 'services'), { metadata: { name: 's', namespace: 'd' }, spec: { type: 'ClusterIP' } }, 'spec.ports: Required value'],
    [
      info('apps', 'deployments'),
      { metadata: { name: 'd', namespace: 'x' }, spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } },
      'spec.template.metadata.labels: Invalid value: {"app":"b"}: `selector` does not match template `labels`',
    ],
    [info('apps', 'deployments'), { metadata: { name: 'd', namespace: 'x' }, spec: { template: {} } }, 'spec.selector: Required value'],
    [
      info('apps', 'deployments'),
      { metadata: { name: 'd', namespace: 'x' }, spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } },
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
    [
      info('batch', 'jobs'),
      { metadata: { name: 'j', namespace: 'x' }, spec: { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'i' }] } } } },
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ],
    [info('batch', 'cronjobs'), { metadata: { name: 'c', namespace: 'x' }, spec: { jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } } } }, 'spec.schedule: Required value'],
    [
      info('autoscaling', 'horizontalpodautoscalers', 'v2'),
      { metadata: { name: 'h', namespace: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, minReplicas: 5, maxReplicas: 2 } },
      'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
    ],
  ])('%# rule: %s', async (resource, obj, expectedPrefix) => {
    const errs = await messages(resource, applyDefaults(resource, obj as KubeObject));
    expect(errs.some((e) => e.startsWith(expectedPrefix)), errs.join('\n')).toBe(true);
  });

  it('validates a StatefulSet template with a volume per claim template (mounts of a claim template resolve; others still do not)', async () => {
    const sts = info('apps', 'statefulsets');
    const set = (mounts: string[]): KubeObject =>
      applyDefaults(sts, {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'web', namespace: 'x' },
        spec: {
          serviceName: 'web',
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'b', volumeMounts: mounts.map((name) => ({ name, mountPath: `/${name}` })) }] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      });
    expect(await messages(sts, set(['data']))).toEqual([]);
    expect(await messages(sts, set(['data', 'logs']))).toEqual(['spec.template.spec.containers[0].volumeMounts[1].name: Not found: "logs"']);
  });

  it('treats JSON null as absent', async () => {
    expect(await messages(pods, pod({ containers: [{ name: 'c', image: 'b', command: null }], nodeSelector: null }))).toEqual([]);
  });

  it('reports unknown fields only in strict mode, from the generated schemas', async () => {
    const obj = pod({ containers: [{ name: 'c', image: 'b', imagePolicy: 'x' }], foo: 1 });
    obj.metadata = { ...obj.metadata, bogus: true };
    expect(await messages(pods, obj)).toEqual([]);
    expect(await messages(pods, obj, true)).toEqual(['unknown field "metadata.bogus"', 'unknown field "spec.containers[0].imagePolicy"', 'unknown field "spec.foo"']);
    const err = toApiError(pods, 'p', await validateObject(pods, obj, { strict: true }));
    expect(err.toStatus()).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'strict decoding error: unknown field "metadata.bogus", unknown field "spec.containers[0].imagePolicy", unknown field "spec.foo"',
    });
  });

  it('reports an unknown field set to null (found by the API fuzzer: `spec.foo: null` was accepted without a Warning)', async () => {
    expect(await messages(pods, pod({ containers: [{ name: 'c', image: 'b', imagePolicy: null }], foo: null }), true)).toEqual(['unknown field "spec.containers[0].imagePolicy"', 'unknown field "spec.foo"']);
  });

  it('reports a selector that cannot be converted at spec.selector (found by the API fuzzer: `matchLabels: "xy"` was a 400 naming `values[0][0]`)', async () => {
    const deployments = info('apps', 'deployments');
    const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'b' }] } };
    const withSelector = (selector: unknown): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n' }, spec: { selector, template } });
    const fields = async (selector: unknown) => (await validateObject(deployments, withSelector(selector), { strict: false })).map((e) => `${e.field}: ${e.type}`);
    expect(await fields({ matchLabels: 'xy' })).toEqual(['spec.selector.matchLabels: FieldValueTypeInvalid']);
    expect(await fields({ matchLabels: '\ud8e6' })).toEqual(['spec.selector.matchLabels: FieldValueTypeInvalid']);
    expect(await fields({ matchExpressions: [{ key: 'app', operator: 'In', values: [{ no: 1 }] }] })).toContain('spec.selector: FieldValueInvalid');
  });

  it('walks any schema source in strict mode (fixture)', async () => {
    const defs: Record<string, { properties?: Record<string, { $ref?: string; items?: { $ref?: string }; type?: string }>; 'x-kubernetes-preserve-unknown-fields'?: boolean }> = {
      Root: { properties: { apiVersion: {}, kind: {}, metadata: { $ref: '#/Meta' }, items: { type: 'array', items: { $ref: '#/Item' } }, raw: { $ref: '#/Raw' } } },
      Meta: { properties: { name: {}, namespace: {} } },
      Item: { properties: { a: {} } },
      Raw: { 'x-kubernetes-preserve-unknown-fields': true },
    };
    const lookup: SchemaLookup = { rootFor: () => defs.Root, resolve: (ref) => defs[ref.slice(2)] };
    const cm = info('', 'configmaps');
    const errs = await validateObject(cm, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, items: [{ a: 1 }, { b: 2 }], raw: { anything: 1 } }, { strict: true, schemas: lookup });
    expect(errs.filter((e) => e.type === 'FieldValueUnknown').map((e) => e.message)).toEqual(['unknown field "items[1].b"']);
  });

  it('turns rule errors into 422 Invalid', async () => {
    const err = toApiError(pods, 'x', await validateObject(pods, pod({ containers: [{ name: 'c' }] }, { name: 'x', namespace: 'd' }), { strict: false }));
    expect(err.message).toBe('Pod "x" is invalid: spec.containers[0].image: Required value');
    expect(err.code).toBe(422);
  });
});

describe('validateUpdate', () => {
  const base = pod({ containers: [{ name: 'c', image: 'busybox:1' }], tolerations: [{ key: 'a', operator: 'Exists' }] });
  base.metadata = { ...base.metadata, uid: 'u', creationTimestamp: '2024-01-01T00:00:00Z' };
  const changed = (mutate: (o: KubeObject) => void): KubeObject => {
    const copy = structuredClone(base);
    mutate(copy);
    return copy;
  };
  const spec = (o: KubeObject) => o.spec as Record<string, unknown> & { containers: Record<string, unknown>[]; tolerations: unknown[] };

  it.each([
    ['image change', (o: KubeObject) => (spec(o).containers[0].image = 'busybox:2'), []],
    ['activeDeadlineSeconds set', (o: KubeObject) => (spec(o).activeDeadlineSeconds = 30), []],
    ['toleration added', (o: KubeObject) => spec(o).tolerations.push({ key: 'b', operator: 'Exists' }), []],
    ['labels change', (o: KubeObject) => (o.metadata = { ...o.metadata, labels: { a: 'b' } }), []],
    [
      'restartPolicy change',
      (o: KubeObject) => (spec(o).restartPolicy = 'Never'),
      [
        'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      ],
    ],
    ['toleration removed', (o: KubeObject) => (spec(o).tolerations = []), ['spec: Forbidden']],
    ['uid change', (o: KubeObject) => (o.metadata = { ...o.metadata, uid: 'other' }), ['metadata.uid: Invalid value: "other": field is immutable']],
    ['name change', (o: KubeObject) => (o.metadata = { ...o.metadata, name: 'q' }), ['metadata.name: Invalid value: "q": field is immutable']],
  ])('pod: %s', (_name, mutate, expected) => {
    const errs = validateUpdate(pods, base, changed(mutate)).map(fieldErrorString);
    expect(errs.length).toBe(expected.length);
    expected.forEach((e, i) => expect(errs[i].startsWith(e)).toBe(true));
  });

  it('freezes immutable config maps and secrets', () => {
    const cm = info('', 'configmaps');
    const old: KubeObject = { metadata: { name: 'c' }, immutable: true, data: { a: '1' } };
    expect(validateUpdate(cm, old, { ...old, data: { a: '2' } }).map(fieldErrorString)).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
    expect(validateUpdate(cm, old, { ...old, immutable: false }).map(fieldErrorString)).toEqual(['immutable: Forbidden: field is immutable when `immutable` is set']);
    const secrets = info('', 'secrets');
    expect(validateUpdate(secrets, { metadata: { name: 's' }, type: 'Opaque' }, { metadata: { name: 's' }, type: 'kubernetes.io/tls' }).map(fieldErrorString)).toEqual([
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
    ]);
  });

  it('keeps a deployment selector', () => {
    const d = info('apps', 'deployments');
    const errs = validateUpdate(d, { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: '1' } } } }, { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: '2' } } } });
    expect(errs.map(fieldErrorString)).toEqual(['spec.selector: Invalid value: {"matchLabels":{"a":"2"}}: field is immutable']);
  });
});
