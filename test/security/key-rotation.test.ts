/**
 * Rotating the key Secrets are sealed with, as Kubernetes documents it, with real `kactus master`
 * processes over one embedded store: Secrets sealed with key `old`; restart with `new` first and
 * `old` second; `kactus secrets reencrypt` rewrites every Secret (and a second run none); restart
 * with `new` alone (no `old`, no identity): every Secret still reads, and the store holds no value
 * sealed by `old` any more.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/store/embedded/index.ts';
import { kactusBin, kubectlFor, ok, run, startKactusServer, type KactusServer } from '../e2e/harness.ts';
import { recordFigure } from '../support/figures.ts';

const OLD = randomBytes(32).toString('base64');
const NEW = randomBytes(32).toString('base64');

function config(providers: string): string {
  return `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n${providers}`;
}
const key = (name: string, secret: string): string => `            - name: ${name}\n              secret: ${secret}\n`;

describe('key rotation with kactus secrets reencrypt', () => {
  let dir: string;
  let master: KactusServer | undefined;
  const values = ['one', 'two', 'three'].map((n) => `${n}-${randomBytes(12).toString('hex')}`);

  const start = async (providers: string): Promise<KactusServer> => {
    const file = join(dir, 'encryption.yaml');
    await writeFile(file, config(providers), { mode: 0o600 });
    master = await startKactusServer(['master', '--data-dir', join(dir, 'master'), '--store', `embedded://${join(dir, 'store')}`, '--port', '0', '--name', 'rotation', '--encryption-provider-config', file], 60_000);
    return master;
  };
  const stop = async (): Promise<void> => {
    expect(await master!.proc.kill('SIGTERM')).toBe(0);
    master = undefined;
  };
  /** The prefixes of every Secret in the store (the store read directly, while no master holds it). */
  const sealedBy = async (): Promise<string[]> => {
    const store = await openEmbeddedStore(join(dir, 'store'));
    try {
      const { items } = await store.list('/registry/core/secrets/');
      return items.map((kv) => /^k8s:enc:\w+:v1:[^:]+:/.exec(kv.value)?.[0] ?? 'plain');
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-rotation-'));
  });
  afterAll(async () => {
    await master?.proc.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('rewrites every Secret under the new key; once the old key is gone they all still read', async () => {
    let m = await start(`      - aesgcm:\n          keys:\n${key('old', OLD)}      - identity: {}\n`);
    let kubectl = kubectlFor(m.kubeconfig, join(dir, 'kubectl-1'));
    for (const [i, v] of values.entries()) ok(await kubectl(['create', 'secret', 'generic', `s${i}`, `--from-literal=v=${v}`]));
    await stop();
    const before = await sealedBy();
    expect(new Set(before)).toEqual(new Set(['k8s:enc:aesgcm:v1:old:']));

    // New key first, old second: both open; reencrypt rewrites every Secret (the cluster's own ones too).
    m = await start(`      - aesgcm:\n          keys:\n${key('new', NEW)}${key('old', OLD)}      - identity: {}\n`);
    const reencrypt = async (): Promise<string> => ok(await run(process.execPath, [kactusBin, '--kubeconfig', m.kubeconfig, 'secrets', 'reencrypt', '--chunk-size', '2']));
    const first = await reencrypt();
    const rewritten = Number(/^(\d+) secret\(s\) rewritten, 0 already current, 0 changed or deleted meanwhile$/m.exec(first)?.[1]);
    expect(rewritten, first).toBe(before.length);
    expect(await reencrypt()).toMatch(new RegExp(`^0 secret\\(s\\) rewritten, ${before.length} already current`, 'm'));
    await stop();
    expect(new Set(await sealedBy())).toEqual(new Set(['k8s:enc:aesgcm:v1:new:']));

    // The old key removed (and identity too): everything reads.
    m = await start(`      - aesgcm:\n          keys:\n${key('new', NEW)}`);
    kubectl = kubectlFor(m.kubeconfig, join(dir, 'kubectl-3'));
    for (const [i, v] of values.entries()) {
      expect(Buffer.from(ok(await kubectl(['get', 'secret', `s${i}`, '-o', 'jsonpath={.data.v}'])), 'base64').toString()).toBe(v);
    }
    expect(ok(await kubectl(['get', 'secrets', '-A', '-o', 'name'])).trim().split('\n')).toHaveLength(before.length);
    await stop();
    recordFigure('key rotation: Secrets re-encrypted, then read with the old key removed', `${rewritten} of ${before.length}`);
  }, 120_000);
});
