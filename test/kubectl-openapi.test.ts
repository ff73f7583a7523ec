/**
 * End-to-end proof that unmodified kubectl 1.32 can `apply`, `patch`, `scale` and `edit`
 * against a server that serves src/api/openapi's documents and applies patches with
 * src/api/patch — without `--validate=false`. The HTTPS server here is a throwaway stand-in
 * (discovery, /openapi/v3, CRUD in a Map); the real API server replaces it in other tests.
 * Every request kubectl makes is logged; src/api/openapi/README.md lists the sequence.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitions } from '../src/api/generated/schemas.ts';
import { serveOpenApiV3, type OpenApiResource } from '../src/api/openapi/index.ts';
import { applyPatch, isPatchType, PatchError } from '../src/api/patch/index.ts';

const TOKEN = 'test-token-123';

interface ServedResource extends OpenApiResource {
  readonly definition: string;
}

const RESOURCES: readonly ServedResource[] = [
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, definition: 'io.k8s.api.core.v1.ConfigMap' },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    resource: 'deployments',
    namespaced: true,
    subresources: ['status', 'scale'],
    definition: 'io.k8s.api.apps.v1.Deployment',
  },
];

interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  contentType: string;
  accept: string;
  body: string;
}

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

/** The stand-in API server: just enough Kubernetes for kubectl's apply/patch/scale/edit. */
class ThrowawayApiServer {
  readonly requests: LoggedRequest[] = [];
  readonly objects = new Map<string, Obj>();
  private revision = 1;
  private server: Server | undefined;

  constructor(
    private readonly cert: string,
    private readonly key: string,
  ) {}

  async start(): Promise<number> {
    this.server = createServer({ cert: this.cert, key: this.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.search,
      contentType: req.headers['content-type'] ?? '',
      accept: req.headers.accept ?? '',
      body,
    });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return this.status(res, 401, 'Unauthorized', 'no token');
    const path = url.pathname;
    if (path.startsWith('/openapi/')) {
      const reply = serveOpenApiV3(path, url.searchParams, RESOURCES, req.headers['if-none-match']);
      if (!reply) return this.status(res, 404, 'NotFound', `the server could not find the requested resource`);
      res.writeHead(reply.status, reply.headers).end(reply.body);
      return;
    }
    const discovery = this.discovery(path);
    if (discovery) return this.json(res, 200, discovery);
    const m = /^\/(?:api|apis\/apps)\/v1\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)(?:\/(scale|status))?$/.exec(path);
    const create = /^\/(?:api|apis\/apps)\/v1\/namespaces\/([^/]+)\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && create) return this.create(res, create[1], create[2], body, url.searchParams);
    if (!m) return this.status(res, 404, 'NotFound', `the server could not find the requested resource`);
    const [, ns, resource, name, sub] = m;
    const info = RESOURCES.find((r) => r.resource === resource);
    const key = `${resource}/${ns}/${name}`;
    const current = this.objects.get(key);
    if (!info || !current) return this.status(res, 404, 'NotFound', `${resource} "${name}" not found`);
    if (req.method === 'GET') return this.json(res, 200, sub === 'scale' ? toScale(current) : current);
    if (req.method === 'PATCH') {
      const patchType = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (!isPatchType(patchType)) return this.status(res, 415, 'UnsupportedMediaType', patchType);
      try {
        const target = sub === 'scale' ? toScale(current) : current;
        const schema = sub === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : info.definition;
        const patched = applyPatch(patchType, target, JSON.parse(body) as unknown, schema) as Obj;
        const next = sub === 'scale' ? fromScale(current, patched) : patched;
        next.metadata = { ...next.metadata, resourceVersion: String(++this.revision) };
        this.objects.set(key, next);
        return this.json(res, 200, sub === 'scale' ? toScale(next) : next);
      } catch (err) {
        if (err instanceof PatchError) return this.status(res, err.httpCode, err.reason, err.message);
        throw err;
      }
    }
    return this.status(res, 405, 'MethodNotAllowed', `${req.method} not supported here`);
  }

  private create(res: ServerResponse, ns: string, resource: string, body: string, query: URLSearchParams): void {
    const info = RESOURCES.find((r) => r.resource === resource);
    if (!info) return this.status(res, 404, 'NotFound', `no resource ${resource}`);
    const obj = JSON.parse(body) as Obj;
    const unknown = unknownTopLevelSpecField(obj, info.definition);
    if (query.get('fieldValidation') === 'Strict' && unknown) {
      return this.status(res, 400, 'BadRequest', `${info.kind} in version "v1" cannot be handled as a ${info.kind}: strict decoding error: unknown field "${unknown}"`);
    }
    const name = String(obj.metadata.name);
    obj.metadata = {
      ...obj.metadata,
      namespace: ns,
      uid: `uid-${name}`,
      resourceVersion: String(++this.revision),
      creationTimestamp: '2025-01-01T00:00:00Z',
    };
    this.objects.set(`${resource}/${ns}/${name}`, obj);
    this.json(res, 201, obj);
  }

  private discovery(path: string): unknown {
    const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    const resource = (r: ServedResource): unknown => ({ name: r.resource, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs });
    switch (path) {
      case '/api':
        return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
      case '/apis':
        return {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
        };
      case '/api/v1':
        return { kind: 'APIResourceList', groupVersion: 'v1', resources: [resource(RESOURCES[0])] };
      case '/apis/apps/v1':
        return {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'apps/v1',
          resources: [
            resource(RESOURCES[1]),
            { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
            { name: 'deployments/status', singularName: '', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
          ],
        };
      default:
        return undefined;
    }
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message, code });
  }
}

/** Stand-in for server-side strict validation (another component's job): unknown keys directly under spec. */
function unknownTopLevelSpecField(obj: Obj, definition: string): string | undefined {
  const specRef = definitions[definition].properties?.spec?.$ref ?? '';
  const known = definitions[specRef.replace('#/definitions/', '')]?.properties ?? {};
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const bad = Object.keys(spec).find((k) => !(k in known));
  return bad === undefined ? undefined : `spec.${bad}`;
}

function toScale(d: Obj): Obj {
  const spec = (d.spec ?? {}) as Record<string, unknown>;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: d.metadata.name, namespace: d.metadata.namespace, resourceVersion: d.metadata.resourceVersion, uid: d.metadata.uid },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: 0 },
  };
}

function fromScale(d: Obj, scale: Obj): Obj {
  return { ...d, spec: { ...(d.spec as object), replicas: (scale.spec as { replicas: number }).replicas } };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('kubectl 1.32 against src/api/openapi + src/api/patch', () => {
  let dir: string;
  let server: ThrowawayApiServer;
  let env: NodeJS.ProcessEnv;

  const kubectl = (...args: string[]): ReturnType<typeof run> =>
    run('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], env);
  const manifest = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const since = (n: number): LoggedRequest[] => server.requests.slice(n);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kactus-kubectl-openapi-'));
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const gen = await run(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      process.env,
    );
    expect(gen.code, gen.stderr).toBe(0);
    const cert = readFileSync(certPath, 'utf8');
    server = new ThrowawayApiServer(cert, readFileSync(keyPath, 'utf8'));
    const port = await server.start();
    writeFileSync(
      join(dir, 'kubeconfig'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority-data': Buffer.from(cert).toString('base64') } }],
        users: [{ name: 'u', user: { token: TOKEN } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
        'current-context': 'x',
      }),
    );
    env = { PATH: process.env.PATH, HOME: dir };
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('apply creates, then re-apply sends a strict strategic merge patch that the server applies', async () => {
    const cm = (data: string, extra = ''): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n${extra}data:\n${data}`;
    const first = await kubectl('apply', '-f', manifest('cm.yaml', cm('  a: "1"\n  b: "2"\n')));
    expect(first.stderr).toBe('');
    expect(first.stdout.trim()).toBe('configmap/demo created');
    const created = server.requests.find((r) => r.method === 'POST');
    expect(created?.query).toContain('fieldValidation=Strict');

    const mark = server.requests.length;
    const second = await kubectl('apply', '-f', manifest('cm.yaml', cm('  a: "10"\n  c: "3"\n', '  labels:\n    tier: web\n')));
    expect(second.stderr).toBe('');
    expect(second.stdout.trim()).toBe('configmap/demo configured');
    const patch = since(mark).find((r) => r.method === 'PATCH');
    expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
    expect(new URLSearchParams(patch?.query).get('fieldValidation')).toBe('Strict');
    const stored = server.objects.get('configmaps/default/demo');
    expect(stored?.data).toEqual({ a: '10', c: '3' });
    expect(stored?.metadata.labels).toEqual({ tier: 'web' });
  });

  it('apply of a Deployment dropping a container: $setElementOrder + $patch delete, applied by merge key', async () => {
    const deployment = (containers: string): string =>
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        'spec:',
        '  replicas: 1',
        '  selector:',
        '    matchLabels: {app: web}',
        '  template:',
        '    metadata:',
        '      labels: {app: web}',
        '    spec:',
        '      containers:',
        containers,
      ].join('\n');
    const both =
      '      - {name: web, image: busybox, env: [{name: A, value: "1"}], ports: [{containerPort: 80}]}\n      - {name: sidecar, image: busybox}\n';
    expect((await kubectl('apply', '-f', manifest('d.yaml', deployment(both)))).stdout.trim()).toBe('deployment.apps/web created');

    const mark = server.requests.length;
    const webOnly = '      - {name: web, image: busybox, env: [{name: A, value: "2"}, {name: B, value: "3"}], ports: [{containerPort: 80}]}\n';
    const res = await kubectl('apply', '-f', manifest('d.yaml', deployment(webOnly)));
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('deployment.apps/web configured');
    const patch = since(mark).find((r) => r.method === 'PATCH');
    expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
    expect(patch?.body).toContain('"$setElementOrder/containers":[{"name":"web"}]');
    expect(patch?.body).toContain('{"$patch":"delete","name":"sidecar"}');
    const spec = server.objects.get('deployments/default/web')?.spec as { template: { spec: { containers: unknown[] } } };
    expect(spec.template.spec.containers).toEqual([
      { name: 'web', image: 'busybox', env: [{ name: 'A', value: '2' }, { name: 'B', value: '3' }], ports: [{ containerPort: 80 }] },
    ]);
  });

  it('a misspelled field is not rejected client-side: kubectl leaves strict validation to the server', async () => {
    const mark = server.requests.length;
    const typo = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: typo\nspec:\n  replicass: 2\n  selector:\n    matchLabels: {app: t}\n  template:\n    metadata:\n      labels: {app: t}\n    spec:\n      containers: [{name: t, image: busybox}]\n';
    const res = await kubectl('apply', '-f', manifest('typo.yaml', typo));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('Error from server (BadRequest)');
    expect(res.stderr).toContain('unknown field "spec.replicass"');
    const post = since(mark).find((r) => r.method === 'POST');
    expect(post?.body).toContain('"replicass":2');
    expect(new URLSearchParams(post?.query).get('fieldValidation')).toBe('Strict');
  });

  it('patch (strategic by default), scale (merge patch on /scale) and edit work without --validate=false', async () => {
    const patched = await kubectl('patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"busybox:2"}]}}}}');
    expect(patched.stderr).toBe('');
    expect(patched.stdout.trim()).toBe('deployment.apps/web patched');
    const web = (server.objects.get('deployments/default/web')?.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
      .containers[0];
    expect(web.image).toBe('busybox:2');
    expect(web.env).toEqual([{ name: 'A', value: '2' }, { name: 'B', value: '3' }]);

    const mark = server.requests.length;
    const scaled = await kubectl('scale', 'deployment', 'web', '--replicas=4');
    expect(scaled.stderr).toBe('');
    expect(scaled.stdout.trim()).toBe('deployment.apps/web scaled');
    const scalePatch = since(mark).find((r) => r.method === 'PATCH');
    expect(scalePatch?.path).toBe('/apis/apps/v1/namespaces/default/deployments/web/scale');
    expect(scalePatch?.contentType).toBe('application/merge-patch+json');
    expect((server.objects.get('deployments/default/web')?.spec as { replicas: number }).replicas).toBe(4);

    env = { ...env, KUBE_EDITOR: `sed -i s/c:\\ \\"3\\"/c:\\ \\"edited\\"/` };
    const edited = await kubectl('edit', 'configmap', 'demo');
    expect(edited.stderr).toBe('');
    expect(edited.stdout.trim()).toBe('configmap/demo edited');
    expect(server.objects.get('configmaps/default/demo')?.data).toEqual({ a: '10', c: 'edited' });
  });

  it('explain reads field docs and types from the same v3 documents', async () => {
    const res = await kubectl('explain', 'deployments.spec.replicas');
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('FIELD: replicas <integer>');
    expect(res.stdout).toContain('Number of desired pods');
  });

  it('never needs /openapi/v2 (request log printed for the README)', () => {
    const log = server.requests.map((r) => `${r.method} ${r.path}${r.query}${r.contentType ? ` [${r.contentType}]` : ''} accept=${r.accept.slice(0, 60)}`);
    console.log(log.join('\n'));
    expect(server.requests.some((r) => r.path.startsWith('/openapi/v2'))).toBe(false);
  });
});
