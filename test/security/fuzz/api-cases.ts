/**
 * fast-check arbitraries for fuzzed API requests (test/security/fuzz-api.test.ts). Each case is
 * one HTTP request and what a good rejection of it must name: `mentions` lists words of which the
 * Status message must hold at least one (case-insensitive), when the case knows what it broke.
 * Objects are created with `generateName`, so a request never fails only because a name is taken.
 */
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';

/** The namespace and objects the fuzz run creates first (targets of patches, gets and deletes). */
export const FUZZ_NAMESPACE = 'fuzz';
export const FIXTURES = {
  configmap: { path: `/api/v1/namespaces/${FUZZ_NAMESPACE}/configmaps`, name: 'cm' },
  pod: { path: `/api/v1/namespaces/${FUZZ_NAMESPACE}/pods`, name: 'p' },
  deployment: { path: `/apis/apps/v1/namespaces/${FUZZ_NAMESPACE}/deployments`, name: 'd' },
  service: { path: `/api/v1/namespaces/${FUZZ_NAMESPACE}/services`, name: 's' },
} as const;
type FixtureKind = keyof typeof FIXTURES;

export interface FuzzRequest {
  /** What kind of mistake this is (for the report). */
  category: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The Status message must mention one of these (case-insensitive); none: any message naming something. */
  mentions?: string[];
  /** Under `fieldValidation=Warn` a 2xx must carry a Warning naming this field. */
  warnsAbout?: string;
  /** Under `fieldValidation=Ignore` a 2xx must carry no Warning naming this field. */
  silentAbout?: string;
}

/** A valid object of each kind, created with generateName. */
export function baseObject(kind: FixtureKind): Record<string, unknown> {
  const metadata = { generateName: 'fz-', labels: { app: 'fz' }, annotations: { note: 'fz' } };
  switch (kind) {
    case 'configmap':
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { k: 'v' } };
    case 'pod':
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata,
        spec: {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m' } }, env: [{ name: 'A', value: '1' }] }],
        },
      };
    case 'deployment':
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata,
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'fz' } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: { metadata: { labels: { app: 'fz' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
        },
      };
    case 'service':
      return { apiVersion: 'v1', kind: 'Service', metadata, spec: { type: 'ClusterIP', selector: { app: 'fz' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } };
  }
}

/** Known fields of each kind, as paths into baseObject (numbers index arrays). */
const KNOWN_PATHS: Record<FixtureKind, (string | number)[][]> = {
  configmap: [['metadata'], ['metadata', 'name'], ['metadata', 'generateName'], ['metadata', 'labels'], ['metadata', 'labels', 'app'], ['metadata', 'annotations'], ['metadata', 'annotations', 'note'], ['metadata', 'ownerReferences'], ['metadata', 'finalizers'], ['metadata', 'namespace'], ['metadata', 'uid'], ['metadata', 'resourceVersion'], ['metadata', 'creationTimestamp'], ['metadata', 'deletionGracePeriodSeconds'], ['data'], ['data', 'k'], ['binaryData'], ['immutable'], ['kind'], ['apiVersion']],
  pod: [['spec'], ['spec', 'containers'], ['spec', 'containers', 0], ['spec', 'containers', 0, 'name'], ['spec', 'containers', 0, 'image'], ['spec', 'containers', 0, 'ports'], ['spec', 'containers', 0, 'ports', 0, 'containerPort'], ['spec', 'containers', 0, 'resources'], ['spec', 'containers', 0, 'resources', 'requests', 'cpu'], ['spec', 'containers', 0, 'env'], ['spec', 'containers', 0, 'env', 0, 'value'], ['spec', 'containers', 0, 'command'], ['spec', 'containers', 0, 'securityContext'], ['spec', 'restartPolicy'], ['spec', 'nodeName'], ['spec', 'terminationGracePeriodSeconds'], ['spec', 'activeDeadlineSeconds'], ['spec', 'volumes'], ['spec', 'securityContext'], ['spec', 'tolerations'], ['spec', 'affinity'], ['spec', 'hostNetwork'], ['spec', 'priority'], ['status']],
  deployment: [['spec', 'replicas'], ['spec', 'selector'], ['spec', 'selector', 'matchLabels'], ['spec', 'template'], ['spec', 'template', 'metadata', 'labels'], ['spec', 'template', 'spec', 'containers'], ['spec', 'strategy', 'type'], ['spec', 'strategy', 'rollingUpdate', 'maxSurge'], ['spec', 'revisionHistoryLimit'], ['spec', 'paused'], ['spec', 'progressDeadlineSeconds']],
  service: [['spec', 'ports'], ['spec', 'ports', 0, 'port'], ['spec', 'ports', 0, 'targetPort'], ['spec', 'ports', 0, 'protocol'], ['spec', 'type'], ['spec', 'selector'], ['spec', 'clusterIP'], ['spec', 'externalTrafficPolicy'], ['spec', 'sessionAffinity']],
};

const KINDS = Object.keys(FIXTURES) as FixtureKind[];
const kindArb = fc.constantFrom(...KINDS);

/** Sets `value` at `path` inside a copy of `obj` (creating objects on the way). */
function setAt(obj: Record<string, unknown>, path: (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(obj);
  let cur: Record<string | number, unknown> = copy;
  for (const seg of path.slice(0, -1)) {
    if (typeof cur[seg] !== 'object' || cur[seg] === null) cur[seg] = {};
    cur = cur[seg] as Record<string | number, unknown>;
  }
  cur[path.at(-1)!] = value;
  return copy;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** The field names a message about `path` may hold: its last named segment, or its parent's (the leaf may be a map key). */
function fieldWords(path: (string | number)[]): string[] {
  const named = path.filter((s): s is string => typeof s === 'string').slice(-2);
  // `resourceVersion` may be said as Kubernetes says it: "resource version".
  const words = [...named, ...named.map((n) => n.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase())];
  // `ConfigMap in version "x" cannot be handled as a ConfigMap`: Kubernetes' words for a bad apiVersion.
  return named.at(-1) === 'apiVersion' ? [...words, 'version'] : words;
}

/** Any JSON value, including the awkward ones (huge numbers, unicode, nested). */
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, '', ' ', '\u0000', '💥', true, false, [], {}, [[]], { '': '' }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

// ---- bodies -----------------------------------------------------------------------------

const malformedJson: fc.Arbitrary<FuzzRequest> = fc
  .tuple(kindArb, fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.nat({ max: 400 })))
  .map(([kind, cut]) => {
    const text = typeof cut === 'number' ? JSON.stringify(baseObject(kind)).slice(0, cut % JSON.stringify(baseObject(kind)).length) : cut;
    return { category: 'malformed JSON', method: 'POST', path: FIXTURES[kind].path, headers: JSON_HEADERS, body: Buffer.from(text) };
  });

const YAML_SNIPPETS = [
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: fz-\n\tdata: x\n',
  'a: &a [*a]\n',
  'a: &x ["x","x"]\nb: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x]\nc: &z [*y,*y,*y,*y,*y,*y,*y,*y,*y]\nd: [*z,*z,*z,*z,*z,*z,*z,*z,*z]\ne: [*z,*z,*z,*z,*z,*z,*z,*z,*z]\n',
  'kind: ConfigMap\nkind: ConfigMap\n',
  '--- \n--- \n',
  '!!binary AAAA',
  '? [a, b]\n: c\n',
  '{ unclosed: [1, 2',
  'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: fz-}\ndata: !!set {a, b}\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: fz-}\ndata: {k: 2001-12-14t21:59:43.10-05:00}\n',
  '%YAML 9.9\n---\na: 1\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: fz-\n  labels: {<<: {a: b}}\n',
];

const malformedYaml: fc.Arbitrary<FuzzRequest> = fc
  .tuple(kindArb, fc.oneof(fc.constantFrom(...YAML_SNIPPETS), fc.string({ unit: 'binary', maxLength: 200 }), fc.nat({ max: 300 })))
  .map(([kind, v]) => {
    const full = `apiVersion: ${String(baseObject(kind).apiVersion)}\nkind: ${String(baseObject(kind).kind)}\nmetadata:\n  generateName: fz-\n`;
    const text = typeof v === 'number' ? full.slice(0, v % full.length) : v;
    return { category: 'malformed YAML', method: 'POST', path: FIXTURES[kind].path, headers: { 'Content-Type': 'application/yaml' }, body: Buffer.from(text) };
  });

/** A ConfigMap as kubectl's protobuf (runtime.Unknown in `k8s\0`). */
function protobufConfigMap(): Buffer {
  const w = protobuf.Writer.create();
  const msg = (field: number, build: (w: protobuf.Writer) => void): void => {
    w.uint32((field << 3) | 2).fork();
    build(w);
    w.ldelim();
  };
  msg(1, (t) => t.uint32(10).string('v1').uint32(18).string('ConfigMap'));
  msg(2, (o) => {
    o.uint32(10).fork().uint32(18).string('fz-').ldelim();
    o.uint32(18).fork().uint32(10).string('k').uint32(18).string('v').ldelim();
  });
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), w.finish()]);
}
const PROTOBUF_CM = protobufConfigMap();

const protobufBodies: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from('k8s\0', 'latin1'), b])),
    fc.nat({ max: PROTOBUF_CM.length - 1 }).map((n) => PROTOBUF_CM.subarray(0, n)),
    fc.tuple(fc.nat({ max: PROTOBUF_CM.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, byte]) => {
      const b = Buffer.from(PROTOBUF_CM);
      b[Math.max(4, i)] = byte;
      return b;
    }),
    fc.uint8Array({ minLength: 1, maxLength: 50 }).map((b) => Buffer.concat([PROTOBUF_CM, b])),
  )
  .map((body) => ({
    category: 'protobuf',
    method: 'POST',
    path: FIXTURES.configmap.path,
    headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' },
    body,
    // Without the magic number it cannot be anything; with it, a mutation may still decode to some (invalid) object.
    mentions: body.subarray(0, 4).toString('latin1') === 'k8s\0' ? undefined : ['protobuf'],
  }));

const wrongTypes: fc.Arbitrary<FuzzRequest> = kindArb
  .chain((kind) => fc.tuple(fc.constant(kind), fc.constantFrom(...KNOWN_PATHS[kind]), anyJson, fc.constantFrom('POST', 'PUT')))
  .map(([kind, path, value, method]) => {
    let obj = setAt(baseObject(kind), path, value);
    let target: string = FIXTURES[kind].path;
    if (method === 'PUT') {
      // An update of the fixture: its name, no resourceVersion (unconditional).
      if (!(path[0] === 'metadata' && path[1] === 'name')) obj = setAt(obj, ['metadata', 'name'], FIXTURES[kind].name);
      target = `${FIXTURES[kind].path}/${FIXTURES[kind].name}`;
    }
    // A pod's spec is immutable but for a few fields: a PUT of the base spec over a fixture an earlier patch changed is refused for that.
    // Likewise a ConfigMap an earlier request made `immutable`.
    const immutable = method !== 'PUT' ? [] : kind === 'pod' ? ['pod updates may not change'] : kind === 'configmap' ? ['immutable'] : [];
    return { category: 'wrong type', method, path: target, headers: JSON_HEADERS, body: json(obj), mentions: [...fieldWords(path), ...immutable, 'already exists', 'does not match', 'the name of the object'] };
  });

const bigString = (min: number, max: number): fc.Arbitrary<string> => fc.integer({ min, max }).map((n) => 'a'.repeat(n));

/** Huge objects, should one be accepted, would slow every later list and watch of the namespace: dry run only. */
const hugeValues: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.tuple(kindArb, bigString(254, 70_000)).map(([kind, name]) => ({ category: 'huge name', method: 'POST', path: `${FIXTURES[kind].path}?dryRun=All`, headers: JSON_HEADERS, body: json(setAt(setAt(baseObject(kind), ['metadata', 'name'], name), ['metadata', 'generateName'], undefined)), mentions: ['name'] })),
  fc.tuple(kindArb, bigString(254, 70_000)).map(([kind, name]) => ({ category: 'huge generateName', method: 'POST', path: `${FIXTURES[kind].path}?dryRun=All`, headers: JSON_HEADERS, body: json(setAt(baseObject(kind), ['metadata', 'generateName'], name)), mentions: ['name'] })),
  fc.tuple(kindArb, bigString(64, 5000), fc.boolean()).map(([kind, s, asKey]) => ({ category: 'huge label', method: 'POST', path: `${FIXTURES[kind].path}?dryRun=All`, headers: JSON_HEADERS, body: json(setAt(baseObject(kind), ['metadata', 'labels'], asKey ? { [s]: 'x' } : { x: s })), mentions: ['labels'] })),
  fc.tuple(kindArb, fc.integer({ min: 262_145, max: 600_000 })).map(([kind, n]) => ({ category: 'huge annotations', method: 'POST', path: `${FIXTURES[kind].path}?dryRun=All`, headers: JSON_HEADERS, body: json(setAt(baseObject(kind), ['metadata', 'annotations'], { big: 'a'.repeat(n) })), mentions: ['annotations'] })),
  fc.integer({ min: 1_048_577, max: 2_500_000 }).map((n) => ({ category: 'huge ConfigMap', method: 'POST', path: `${FIXTURES.configmap.path}?dryRun=All`, headers: JSON_HEADERS, body: json(setAt(baseObject('configmap'), ['data'], { k: 'a'.repeat(n) })), mentions: ['data', 'too long'] })),
  fc.integer({ min: 3 * 1024 * 1024 + 1, max: 5 * 1024 * 1024 }).map((n) => ({ category: 'huge body', method: 'POST', path: `${FIXTURES.configmap.path}?dryRun=All`, headers: JSON_HEADERS, body: json(setAt(baseObject('configmap'), ['data'], { k: 'a'.repeat(n) })), mentions: ['too large'] })),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ category: 'many labels', method: 'POST', path: `${FIXTURES.configmap.path}?dryRun=All`, headers: JSON_HEADERS, body: json(setAt(baseObject('configmap'), ['metadata', 'labels'], Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])))), mentions: ['labels', 'annotations'] })),
);

/** `[[[…]]]` or `{"a":{"a":…}}` `depth` deep, as text (JSON.stringify would overflow first). */
function nested(depth: number, arrays: boolean): string {
  return arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const deepNesting: fc.Arbitrary<FuzzRequest> = fc
  .tuple(kindArb, fc.integer({ min: 100, max: 200_000 }), fc.boolean(), fc.constantFrom('data', 'fzUnknown', 'metadata', 'spec', 'annotations'), fc.constantFrom('json', 'yaml', 'merge-patch', 'json-patch', 'strategic'))
  .map(([kind, depth, arrays, where, as]) => {
    const inner = nested(depth, arrays);
    const base = JSON.stringify(setAt(baseObject(kind), where === 'annotations' ? ['metadata', 'annotations', 'x'] : [where], '@@'));
    const text = base.replace('"@@"', inner);
    if (as === 'json' || as === 'yaml') {
      return { category: 'deep nesting', method: 'POST', path: FIXTURES[kind].path, headers: { 'Content-Type': as === 'json' ? 'application/json' : 'application/yaml' }, body: Buffer.from(text) };
    }
    const target = `${FIXTURES[kind].path}/${FIXTURES[kind].name}`;
    if (as === 'json-patch') {
      return { category: 'deep nesting', method: 'PATCH', path: target, headers: { 'Content-Type': 'application/json-patch+json' }, body: Buffer.from(`[{"op":"add","path":"/metadata/annotations/x","value":${inner}}]`) };
    }
    return { category: 'deep nesting', method: 'PATCH', path: target, headers: { 'Content-Type': `application/${as === 'strategic' ? 'strategic-merge-patch' : 'merge-patch'}+json` }, body: Buffer.from(`{"${where}":${inner}}`) };
  });

const fieldName = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/).map((s) => `fz${s}`);

const unknownFields: fc.Arbitrary<FuzzRequest> = kindArb
  .chain((kind) =>
    fc.tuple(
      fc.constant(kind),
      fc.constantFrom<(string | number)[]>([], ['metadata'], ...(kind === 'configmap' ? [] : [['spec'], ...(kind === 'pod' ? [['spec', 'containers', 0]] : [])])),
      fieldName,
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(undefined, 'Strict', 'Warn', 'Ignore', 'strict', 'Bogus', ''),
    ),
  )
  .map(([kind, at, name, value, mode]) => {
    const body = json(setAt(baseObject(kind), [...at, name], value));
    const query = mode === undefined ? '' : `?fieldValidation=${encodeURIComponent(mode)}`;
    const req: FuzzRequest = { category: 'unknown field', method: 'POST', path: `${FIXTURES[kind].path}${query}`, headers: JSON_HEADERS, body };
    if (mode === 'Strict') req.mentions = [name];
    else if (mode === undefined || mode === 'Warn' || mode === '') req.warnsAbout = name;
    else if (mode === 'Ignore') req.silentAbout = name;
    else req.mentions = ['fieldValidation'];
    return req;
  });

const CONTENT_TYPES = ['text/plain', 'application/xml', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/vnd.kubernetes.protobuf;stream=watch', 'application/json-patch+json', 'application/x-www-form-urlencoded', '*/*', ';', 'application/', 'a/b/c'];

const badContentTypes: fc.Arbitrary<FuzzRequest> = fc
  .tuple(kindArb, fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.stringMatching(/^[a-z]{1,8}\/[a-z+.-]{1,12}$/)), fc.constantFrom('POST', 'PUT'))
  .map(([kind, ct, method]) => ({
    category: 'bad content type',
    method,
    path: method === 'POST' ? FIXTURES[kind].path : `${FIXTURES[kind].path}/${FIXTURES[kind].name}`,
    headers: { 'Content-Type': ct },
    body: json(setAt(baseObject(kind), ['metadata', 'name'], FIXTURES[kind].name)),
    // `application/json; charset=…` is JSON to Kubernetes too (parameters are not read): then anything may follow.
    mentions: ['application/json', 'application/yaml'].includes(ct.split(';')[0]!.trim()) ? undefined : ['media type', 'content type', 'protobuf', 'json', 'yaml', 'already exists'],
  }));

const badAccept: fc.Arbitrary<FuzzRequest> = fc
  .tuple(kindArb, fc.oneof(fc.constantFrom('text/html', 'application/xml', 'application/json;as=Bogus;v=v1;g=meta.k8s.io', 'application/json;as=Table;v=v9;g=meta.k8s.io', 'image/png'), fc.stringMatching(/^[a-z]{1,8}\/[a-z+.-]{1,12}$/)))
  .map(([kind, accept]) => ({ category: 'bad accept', method: 'GET', path: FIXTURES[kind].path, headers: { Accept: accept }, mentions: ['media type', 'accept'] }));

// ---- query parameters ---------------------------------------------------------------------

const LABEL_SELECTORS = ['a in (', '!!', '=', 'a=b=c', 'a notin b', '(a)', 'a,,b', 'a in (b,', 'x'.repeat(64) + '=v', 'a=' + 'v'.repeat(64), 'a==', 'a!=', '!', 'a in ()', 'a=(b)', 'A_.b=c', '-a=b', 'a b', 'a=b,!'];
const FIELD_SELECTORS = ['metadata.foo=bar', 'spec.nodeName', '=', 'metadata.name==', 'metadata.name!=', 'status.phase in (Running)', ',', 'metadata.name=a,', 'a.b.c=d', 'metadata.name=\\', '!metadata.name'];

const badSelectors: fc.Arbitrary<FuzzRequest> = fc
  .tuple(kindArb, fc.constantFrom('labelSelector', 'fieldSelector'), fc.oneof(fc.constantFrom(...LABEL_SELECTORS, ...FIELD_SELECTORS), fc.string({ unit: 'binary', maxLength: 40 })), fc.constantFrom('GET', 'DELETE', 'WATCH'))
  .map(([kind, param, value, verb]) => {
    // An empty or odd-but-valid selector on a delete would take every fixture away: dry run only.
    const extra = verb === 'WATCH' ? '&watch=1&timeoutSeconds=1' : verb === 'DELETE' ? '&dryRun=All' : '';
    return { category: 'bad selector', method: verb === 'WATCH' ? 'GET' : verb, path: `${FIXTURES[kind].path}?${param}=${encodeURIComponent(value)}${extra}`, headers: {}, mentions: ['selector', 'label', 'field', 'requirement', 'key', 'value', 'operator'] };
  });

const LIST_PARAMS = ['resourceVersion', 'limit', 'continue', 'timeoutSeconds', 'resourceVersionMatch', 'allowWatchBookmarks', 'sendInitialEvents', 'watch', 'gracePeriodSeconds', 'propagationPolicy', 'orphanDependents', 'dryRun', 'pretty', 'includeObject'] as const;

const badParamValue = fc.oneof(
  fc.constantFrom('-1', '-999999999999', '1e9', '99999999999999999999999', 'abc', '1.5', ' 1', '0x10', 'true', 'NaN', 'Infinity', '', '%', 'eyJ2IjoxfQ', 'bm90IGpzb24', '18446744073709551616', '-0'),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.base64String({ maxLength: 40 }),
);

const badQuery: fc.Arbitrary<FuzzRequest> = fc
  .tuple(kindArb, fc.constantFrom(...LIST_PARAMS), badParamValue, fc.constantFrom('GET', 'GET-named', 'WATCH', 'DELETE', 'DELETE-named'))
  .map(([kind, param, value, verb]) => {
    const named = verb.endsWith('-named');
    const base = named ? `${FIXTURES[kind].path}/${FIXTURES[kind].name}` : FIXTURES[kind].path;
    // A watch that the server accepts must still end: one second at most.
    let extra = verb === 'WATCH' && param !== 'timeoutSeconds' && param !== 'watch' ? '&watch=1&timeoutSeconds=1' : verb === 'WATCH' && param === 'timeoutSeconds' ? '&watch=1' : '';
    if (param === 'watch') extra = '&timeoutSeconds=1';
    // A delete that is accepted would remove the fixture others patch: dry run only.
    const dry = verb.startsWith('DELETE') && param !== 'dryRun' ? '&dryRun=All' : '';
    return { category: 'bad query', method: verb.startsWith('DELETE') ? 'DELETE' : 'GET', path: `${base}?${param}=${encodeURIComponent(value)}${extra}${dry}`, headers: {}, mentions: [param, 'resource version', 'continue', 'too old', 'limit'] };
  });

// ---- patches ------------------------------------------------------------------------------

const pointer = fc.oneof(fc.constantFrom('/data/x', '/metadata/name', '', '/', '/data/~2', '/data/~', '/spec/containers/-', '/spec/containers/99', '/a/b/c', 'data', '/metadata/labels/app', '/metadata/annotations', '/spec/replicas', '/spec/containers/0/image', '/kind', '/metadata/uid'), fc.string({ maxLength: 20 }));
const jsonPatchOp = fc.record(
  { op: fc.oneof(fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'), anyJson), path: fc.oneof(pointer, anyJson), value: anyJson, from: fc.oneof(pointer, anyJson) },
  { requiredKeys: [] },
);
const DIRECTIVES = [
  { $patch: 'delete' },
  { $patch: 'replace' },
  { $patch: 'bogus' },
  { spec: { containers: [{ $patch: 'delete' }] } },
  { spec: { containers: [{ image: 'x' }] } },
  { 'spec': { '$setElementOrder/containers': [{ name: 'zz' }] } },
  { 'spec': { '$setElementOrder/containers': 'x' } },
  { 'metadata': { '$deleteFromPrimitiveList/finalizers': 'x' } },
  { 'spec': { $retainKeys: 5 } },
  { 'spec': { $retainKeys: ['nope'] } },
  { 'metadata': { labels: { $patch: 'replace' } } },
  { spec: { containers: { $patch: 'replace' } } },
  { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'x' }] }] } },
  { data: { $patch: 'delete' } },
];

const patchTarget = kindArb.map((kind) => `${FIXTURES[kind].path}/${FIXTURES[kind].name}`);

const badPatches: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.tuple(patchTarget, fc.oneof(fc.array(jsonPatchOp, { maxLength: 4 }), anyJson)).map(([path, body]) => ({ category: 'bad JSON patch', method: 'PATCH', path: `${path}?dryRun=All`, headers: { 'Content-Type': 'application/json-patch+json' }, body: json(body) })),
  fc.tuple(patchTarget, fc.oneof(anyJson, fc.constantFrom(...DIRECTIVES), fc.dictionary(fc.constantFrom('metadata', 'data', 'spec', 'status', 'kind', 'apiVersion'), anyJson))).map(([path, body]) => ({ category: 'bad merge patch', method: 'PATCH', path: `${path}?dryRun=All`, headers: { 'Content-Type': 'application/merge-patch+json' }, body: json(body) })),
  fc.tuple(patchTarget, fc.oneof(anyJson, fc.constantFrom(...DIRECTIVES), fc.dictionary(fc.constantFrom('metadata', 'data', 'spec', 'status', '$patch', '$retainKeys'), anyJson))).map(([path, body]) => ({ category: 'bad strategic merge patch', method: 'PATCH', path: `${path}?dryRun=All`, headers: { 'Content-Type': 'application/strategic-merge-patch+json' }, body: json(body) })),
  fc.tuple(patchTarget, fc.oneof(fc.string({ maxLength: 50 }), anyJson.map((v) => JSON.stringify(v)))).map(([path, text]) => ({ category: 'bad patch body', method: 'PATCH', path: `${path}?dryRun=All`, headers: { 'Content-Type': 'application/merge-patch+json' }, body: Buffer.from(text) })),
  fc
    .tuple(kindArb, fc.oneof(fc.constant(undefined), fc.constant(''), bigString(129, 400), fc.constantFrom('a\u0000b', 'tab\there', 'nl\nx', '\u007f', 'ü'.repeat(70))), fc.option(fc.constantFrom('true', 'false', 'maybe', '')))
    .map(([kind, manager, force]) => {
      const obj = setAt(setAt(baseObject(kind), ['metadata', 'name'], FIXTURES[kind].name), ['metadata', 'generateName'], undefined);
      const params = new URLSearchParams({ dryRun: 'All' });
      if (manager !== undefined) params.set('fieldManager', manager);
      if (force !== null) params.set('force', force);
      return { category: 'apply with bad fieldManager', method: 'PATCH', path: `${FIXTURES[kind].path}/${FIXTURES[kind].name}?${params}`, headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: json(obj), mentions: ['fieldManager', 'force'] };
    }),
  fc.tuple(kindArb, fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.constantFrom(...YAML_SNIPPETS))).map(([kind, text]) => ({ category: 'bad apply body', method: 'PATCH', path: `${FIXTURES[kind].path}/${FIXTURES[kind].name}?fieldManager=fz&dryRun=All`, headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: Buffer.from(text) })),
);

const badDeleteBodies: fc.Arbitrary<FuzzRequest> = fc
  .tuple(kindArb, fc.oneof(anyJson, fc.record({ kind: fc.constant('DeleteOptions'), apiVersion: fc.constant('v1'), gracePeriodSeconds: anyJson, propagationPolicy: anyJson, preconditions: anyJson, dryRun: anyJson }, { requiredKeys: [] })), fc.boolean())
  .map(([kind, body, named]) => ({
    category: 'bad delete options',
    method: 'DELETE',
    path: `${FIXTURES[kind].path}${named ? `/${FIXTURES[kind].name}` : ''}?dryRun=All`,
    headers: JSON_HEADERS,
    body: json(body),
  }));

// ---- paths and methods ---------------------------------------------------------------------

const SEGMENTS = ['api', 'apis', 'v1', 'v2', 'apps', 'batch', 'namespaces', FUZZ_NAMESPACE, 'default', 'pods', 'configmaps', 'deployments', 'p', 'cm', 'd', 'status', 'scale', 'log', 'exec', 'attach', 'binding', 'eviction', 'token', 'watch', 'ephemeralcontainers', '..', '.', '%2F', '%', '%zz', '%00', '%ff', '%c3%28', 'x'.repeat(300), 'kactus', 'history', 'metrics', 'openapi', 'v3', 'ui', 'healthz', 'metrics.k8s.io', 'v1beta1', 'nodes', '~', '%2e%2e'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE', 'SEARCH', 'REPORT', 'FOO', 'get', 'CONNECTX'];

const oddPaths: fc.Arbitrary<FuzzRequest> = fc
  .tuple(fc.array(fc.oneof({ arbitrary: fc.constantFrom(...SEGMENTS), weight: 4 }, { arbitrary: fc.stringMatching(/^[!-~]{0,12}$/).filter((s) => !s.includes('/') && !s.includes('?') && !s.includes('#')), weight: 1 }), { maxLength: 8 }), fc.constantFrom(...METHODS), fc.boolean(), fc.option(fc.constantFrom('?watch=1&timeoutSeconds=1', '?%=%', '?a=%zz', '?limit=1&limit=2', '?&&&')))
  .map(([segs, method, doubleSlash, query]) => ({
    category: 'odd path or method',
    method,
    // A delete that hits a real path would take the fixtures (or the namespace) away: dry run only.
    path: `/${segs.join(doubleSlash ? '//' : '/')}${query ?? ''}${method === 'DELETE' ? `${query ? '&' : '?'}dryRun=All` : ''}`,
    headers: method === 'GET' ? {} : JSON_HEADERS,
    body: method === 'GET' ? undefined : json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'fz-' } }),
  }));

/** A request, shortened for a failure report. */
export function describeRequest(req: FuzzRequest): string {
  const body = req.body === undefined ? '' : ` body(${req.body.length} B)=${JSON.stringify(req.body.subarray(0, 600).toString('utf8'))}`;
  return `[${req.category}] ${req.method} ${req.path.slice(0, 300)} ${JSON.stringify(req.headers)}${body}`;
}

/** Every request category, huge bodies rarer (they take the longest to send); printed shortened in counterexamples. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { arbitrary: malformedJson, weight: 4 },
  { arbitrary: malformedYaml, weight: 3 },
  { arbitrary: protobufBodies, weight: 3 },
  { arbitrary: wrongTypes, weight: 8 },
  { arbitrary: hugeValues, weight: 1 },
  { arbitrary: deepNesting, weight: 2 },
  { arbitrary: unknownFields, weight: 4 },
  { arbitrary: badContentTypes, weight: 2 },
  { arbitrary: badAccept, weight: 1 },
  { arbitrary: badSelectors, weight: 3 },
  { arbitrary: badQuery, weight: 4 },
  { arbitrary: badPatches, weight: 6 },
  { arbitrary: badDeleteBodies, weight: 2 },
  { arbitrary: oddPaths, weight: 4 },
).map((req) => Object.assign(req, { [fc.toStringMethod]: () => describeRequest(req) }));
