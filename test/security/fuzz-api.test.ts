/**
 * Fuzzing the API (issue 15): 10,000 requests from fast-check against a real API server over
 * its embedded store — malformed JSON/YAML/protobuf bodies, wrong types, huge values, deep
 * nesting, unknown fields under each fieldValidation, bad selectors, query parameters, patches,
 * content types, paths and methods (fuzz/api-cases.ts). The property, for every request: no
 * answer ≥ 500; every non-2xx answer is a Kubernetes Status whose message names the problem;
 * unknown fields warn exactly when fieldValidation says; and the server answers /healthz after
 * every batch. Seeded: a failure prints its seed (KACTUS_FUZZ_SEED=<seed> replays the run).
 */
import fc from 'fast-check';
import type { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../apiserver/harness.ts';
import { recordFigure } from '../support/figures.ts';
import { baseObject, describeRequest, FIXTURES, FUZZ_NAMESPACE, fuzzRequest, type FuzzRequest } from './fuzz/api-cases.ts';
import { fuzzAgent, sendRaw, type RawResponse } from './fuzz/raw-https.ts';
import { fuzzSeed } from './fuzz/seed.ts';

const SEED = fuzzSeed();
const REQUESTS = Number(process.env.KACTUS_FUZZ_API_REQUESTS ?? 10_000);
const BATCH = 50;
const CONCURRENCY = 8;

interface Tally {
  sent: number;
  serverErrors: number;
  withoutStatus: number;
  unanswered: number;
  healthFailures: number;
  /** Lists and watches of a resourceVersion the store has not reached: Kubernetes' 504 "Too large resource version". */
  futureResourceVersions: number;
  byStatus: Map<number, number>;
  /** Requests and milliseconds spent per category (where the run's time goes). */
  byCategory: Map<string, { count: number; ms: number }>;
  /** The slowest answers (for the report: what the server spends its time on). */
  slowest: { ms: number; request: string }[];
}

/** What is wrong with `res` as the answer to `req`; undefined when it is a good answer. */
function judge(req: FuzzRequest, res: RawResponse, tally: Tally): string | undefined {
  // Kubernetes' contract, not a failure: a resourceVersion newer than the store's is waited for, then a 504 to retry.
  if (res.status === 504 && res.text.includes('"message":"Too large resource version:')) {
    tally.futureResourceVersions += 1;
    return undefined;
  }
  if (res.status >= 500) {
    tally.serverErrors += 1;
    return `answered ${res.status}: ${res.text.slice(0, 300)}`;
  }
  const warning = String(res.headers.warning ?? '');
  if (res.status >= 200 && res.status < 300) {
    if (req.warnsAbout && !warning.includes(req.warnsAbout)) return `accepted an unknown field "${req.warnsAbout}" without a Warning (got ${JSON.stringify(warning)})`;
    if (req.silentAbout && warning.includes(req.silentAbout)) return `warned about "${req.silentAbout}" under fieldValidation=Ignore`;
    return undefined;
  }
  if (res.status >= 300 && res.status < 400 && res.headers.location) return undefined;
  let status: Record<string, unknown> | undefined;
  try {
    status = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    status = undefined;
  }
  if (req.method === 'HEAD') return undefined; // no body by definition
  if (status?.kind !== 'Status' || status.apiVersion !== 'v1' || status.status !== 'Failure' || status.code !== res.status || typeof status.message !== 'string' || status.message.length < 8) {
    tally.withoutStatus += 1;
    return `answered ${res.status} without a Status: ${res.text.slice(0, 300)}`;
  }
  const message = status.message.toLowerCase();
  if (req.mentions && !req.mentions.some((m) => message.includes(m.toLowerCase()))) {
    return `answered ${res.status} with a message naming none of ${JSON.stringify(req.mentions)}: ${status.message.slice(0, 300)}`;
  }
  return undefined;
}

/** Runs `fn` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe('API fuzzing', () => {
  let cluster: TestCluster;
  let agent: Agent;

  beforeAll(async () => {
    cluster = await startTestCluster();
    agent = fuzzAgent(cluster.server.caCertPem);
    const { client } = cluster;
    expect((await client.post('/api/v1/namespaces', { metadata: { name: FUZZ_NAMESPACE } })).status).toBe(201);
    for (const [kind, f] of Object.entries(FIXTURES)) {
      const obj = baseObject(kind as keyof typeof FIXTURES);
      const created = await client.post(f.path, { ...obj, metadata: { ...(obj.metadata as object), generateName: undefined, name: f.name } });
      expect(created.status, `${kind}: ${created.text}`).toBe(201);
    }
  });

  afterAll(async () => {
    agent?.destroy();
    await cluster?.close();
  });

  it(`${REQUESTS} fuzzed requests: none ≥ 500, every rejection a Status naming the problem, the server up throughout`, async () => {
    const tally: Tally = { sent: 0, serverErrors: 0, withoutStatus: 0, unanswered: 0, healthFailures: 0, futureResourceVersions: 0, byStatus: new Map(), byCategory: new Map(), slowest: [] };
    const { url, adminToken } = cluster.server;
    const started = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fuzzRequest, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const problems: string[] = [];
          await pool(batch, CONCURRENCY, async (req) => {
            tally.sent += 1;
            let res: RawResponse;
            const sentAt = Date.now();
            try {
              res = await sendRaw(url, agent, adminToken, req);
              const c = tally.byCategory.get(req.category) ?? { count: 0, ms: 0 };
              tally.byCategory.set(req.category, { count: c.count + 1, ms: c.ms + Date.now() - sentAt });
              tally.slowest.push({ ms: Date.now() - sentAt, request: describeRequest(req).slice(0, 160) });
              tally.slowest.sort((a, b) => b.ms - a.ms).splice(5);
            } catch (err) {
              tally.unanswered += 1;
              problems.push(`${describeRequest(req)}\n  -> no answer: ${(err as Error).message}`);
              return;
            }
            tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
            const problem = judge(req, res, tally);
            if (problem) problems.push(`${describeRequest(req)}\n  -> ${problem}`);
          });
          const health = await sendRaw(url, agent, adminToken, { method: 'GET', path: '/healthz', headers: {} }).catch((err: Error) => ({ status: 0, text: err.message }));
          if (health.status !== 200) {
            tally.healthFailures += 1;
            problems.push(`/healthz answered ${health.status}: ${health.text}`);
          }
          if (problems.length) throw new Error(`seed ${SEED}: ${problems.length} bad answers:\n${problems.slice(0, 10).join('\n')}`);
        }),
        { seed: SEED, numRuns: Math.ceil(REQUESTS / BATCH), endOnFailure: process.env.KACTUS_FUZZ_SHRINK !== '1' },
      );
    } finally {
      console.log(`API fuzz: seed ${SEED}, ${tally.sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; answers by code: ${JSON.stringify(Object.fromEntries([...tally.byStatus].sort((a, b) => a[0] - b[0])))}`);
      console.log(`API fuzz: by category: ${[...tally.byCategory].map(([k, v]) => `${k} ${v.count} (${Math.round(v.ms / v.count)} ms each)`).join(', ')}`);
      console.log(`API fuzz: slowest: ${tally.slowest.map((s) => `${s.ms} ms ${s.request}`).join('\n  ')}`);
      recordFigure('API fuzz: requests sent', tally.sent);
      recordFigure('API fuzz: responses >= 500', tally.serverErrors);
      recordFigure('API fuzz: crashes (health check failed or no answer)', tally.healthFailures + tally.unanswered);
      recordFigure('API fuzz: rejections without a Status', tally.withoutStatus);
      recordFigure("API fuzz: Kubernetes' 504 for a resourceVersion not reached yet (not counted as >= 500)", tally.futureResourceVersions);
    }
  }, 600_000);
});
