import { describe, expect, it } from 'vitest';
import { openApiV3Document, openApiV3Index, serveOpenApiV3, type OpenApiResource } from './index.ts';

const resources: OpenApiResource[] = [
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false, subresources: ['status'] },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true, subresources: ['status', 'scale'] },
  { group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true },
];

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, unknown> };
  'x-kubernetes-group-version-kind': { group: string; version: string; kind: string };
  'x-kubernetes-action': string;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: unknown[] }> };
}
const parse = (gv: string): Doc => JSON.parse(openApiV3Document(gv, resources).json) as Doc;

describe('OpenAPI v3 documents', () => {
  it('declares fieldValidation on each PATCH operation itself, with strategic merge accepted', () => {
    const doc = parse('apps/v1');
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch['x-kubernetes-action']).toBe('patch');
    expect(patch.parameters?.map((p) => p.name)).toContain('fieldValidation');
    expect(Object.keys(patch.requestBody?.content ?? {})).toContain('application/strategic-merge-patch+json');
    const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch;
    expect(scale['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(Object.keys(doc.paths)).toContain('/apis/apps/v1/deployments');
  });

  it('carries every referenced schema, kinds tagged with a GVK list', () => {
    const doc = parse('apps/v1');
    expect(doc.components.schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();
    expect(JSON.stringify(doc)).not.toContain('#/definitions/');
  });

  it('cluster-scoped resources have no namespace segment; kinds without a schema get no strategic merge', () => {
    const core = parse('v1');
    expect(core.paths['/api/v1/namespaces/{name}'].get['x-kubernetes-action']).toBe('get');
    expect(core.paths['/api/v1/namespaces/{name}/status'].patch).toBeDefined();
    const widgets = parse('example.com/v1').paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch;
    expect(Object.keys(widgets.requestBody?.content ?? {})).not.toContain('application/strategic-merge-patch+json');
  });

  it('indexes each group-version under its hash-pinned URL', () => {
    const index = JSON.parse(openApiV3Index(resources).json) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(index.paths)).toEqual(['api/v1', 'apis/apps/v1', 'apis/example.com/v1']);
    expect(index.paths['apis/apps/v1'].serverRelativeURL).toBe(`/openapi/v3/apis/apps/v1?hash=${openApiV3Document('apps/v1', resources).hash}`);
    const extra = JSON.parse(openApiV3Index(resources, new Map([['apis/x.io/v1', 'ABC']])).json) as typeof index;
    expect(extra.paths['apis/x.io/v1'].serverRelativeURL).toBe('/openapi/v3/apis/x.io/v1?hash=ABC');
  });

  it('serves like Kubernetes: immutable when the hash matches, 301 when stale, 304 on a matching ETag', () => {
    const doc = openApiV3Document('v1', resources);
    const pinned = serveOpenApiV3('/openapi/v3/api/v1', new URLSearchParams({ hash: doc.hash }), resources);
    expect(pinned?.status).toBe(200);
    expect(pinned?.headers['Cache-Control']).toContain('immutable');
    expect(pinned?.body).toBe(doc.json);
    const stale = serveOpenApiV3('/openapi/v3/api/v1', new URLSearchParams({ hash: 'OLD' }), resources);
    expect(stale?.status).toBe(301);
    expect(stale?.headers.Location).toBe(`/openapi/v3/api/v1?hash=${doc.hash}`);
    expect(serveOpenApiV3('/openapi/v3/api/v1', new URLSearchParams(), resources, doc.etag)?.status).toBe(304);
    expect(serveOpenApiV3('/openapi/v3/apis/nope/v1', new URLSearchParams(), resources)).toBeUndefined();
    expect(serveOpenApiV3('/openapi/v2', new URLSearchParams(), resources)).toBeUndefined();
    expect(openApiV3Document('v1', resources)).toBe(doc);
  });
});
