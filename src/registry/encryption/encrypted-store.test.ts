import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import { SYSTEM_NAMESPACES } from '../../api/namespaces.ts';
import { storeConformance } from '../../store/conformance.ts';
import { openMemoryStore } from '../../store/embedded/index.ts';
import type { Store, WatchEvent } from '../../store/types.ts';
import { Registry } from '../registry.ts';
import { waitFor } from '../test-support.ts';
import type { ProviderConfig } from './config.ts';
import { encryptedStore } from './encrypted-store.ts';
import { EncryptionTransformers, ValueTransformer } from './transformer.ts';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const gcm = (name: string, secret: Buffer): ProviderConfig => ({ type: 'aesgcm', keys: [{ name, secret }] });

// The whole contract still holds with every value sealed on the way down.
storeConformance('encrypted (aesgcm over memory)', async () => {
  const inner = await openMemoryStore({ progressIntervalMs: 100 });
  const everyKey = new ValueTransformer([gcm('k', KEY_A)]);
  return { store: encryptedStore(inner, { forKey: () => everyKey }), cleanup: () => inner.close() };
});

const SECRETS = findResource('', 'v1', 'secrets')!;
const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;
const VALUE = 'c3VwZXItc2VjcmV0LXZhbHVlLTQy'; // base64 of super-secret-value-42

const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', data: { password: VALUE } });

describe('a Registry over an encrypted store', () => {
  let inner: Store;
  let registry: Registry | undefined;

  const open = async (providers: ProviderConfig[]): Promise<Registry> => {
    registry?.close();
    const transformers = new EncryptionTransformers({ resources: [{ resources: ['secrets'], providers }] });
    registry = new Registry({ store: encryptedStore(inner, transformers), admission: {} });
    await registry.start(SYSTEM_NAMESPACES);
    return registry;
  };

  /** What the store underneath holds for one key. */
  const raw = async (info = SECRETS, name = 's1'): Promise<string> => (await inner.get(`/registry/core/${info.resource}/default/${name}`))!.value;

  beforeEach(async () => {
    inner = await openMemoryStore();
  });
  afterEach(async () => {
    registry?.close();
    registry = undefined;
    await inner.close();
  });

  it('stores Secrets sealed and serves them plain: create, get, list, watch, update, delete', async () => {
    const r = await open([gcm('a', KEY_A), { type: 'identity' }]);
    const seen: WatchEvent[] = [];
    const watch = encryptedStore(inner, new EncryptionTransformers({ resources: [{ resources: ['secrets'], providers: [gcm('a', KEY_A)] }] })).watch('/registry/core/secrets/', {}, { onEvents: (evs) => seen.push(...evs), onError: () => {} });
    try {
      const created = await r.create(SECRETS, 'default', secret('s1'));
      expect(created.data).toEqual({ password: VALUE });
      expect(await raw()).toMatch(/^k8s:enc:aesgcm:v1:a:/);
      expect(await raw()).not.toContain(VALUE);
      expect((await r.get(SECRETS, 'default', 's1')).data).toEqual({ password: VALUE });
      expect((await r.list(SECRETS, 'default')).items.map((s) => s.data)).toEqual([{ password: VALUE }]);
      await r.patch(SECRETS, 'default', 's1', 'application/merge-patch+json', { metadata: { labels: { x: 'y' } } });
      expect(await raw()).not.toContain(VALUE);
      await r.delete(SECRETS, 'default', 's1');
      await waitFor('three watch events', () => (seen.length >= 3 ? true : undefined));
      for (const ev of seen) expect(JSON.parse(ev.kv.value).data).toEqual({ password: VALUE });
      expect(seen[1]!.prevKv && JSON.parse(seen[1]!.prevKv.value).data).toEqual({ password: VALUE });
    } finally {
      watch.close();
    }
  });

  it('leaves other resources plain', async () => {
    const r = await open([gcm('a', KEY_A)]);
    await r.create(CONFIGMAPS, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1' }, data: { k: 'visible' } });
    expect(JSON.parse(await raw(CONFIGMAPS)).data).toEqual({ k: 'visible' });
  });

  it('rotates: an unchanged PUT rewrites a stale Secret under the first key; a removed key fails reads with a 500 naming it', async () => {
    let r = await open([gcm('a', KEY_A), { type: 'identity' }]);
    await r.create(SECRETS, 'default', secret('s1'));
    await r.create(SECRETS, 'default', secret('s2'));
    // New key first, the old one still listed: both read; an unchanged update rewrites.
    r = await open([{ type: 'aesgcm', keys: [{ name: 'b', secret: KEY_B }, { name: 'a', secret: KEY_A }] }, { type: 'identity' }]);
    const before = await r.get(SECRETS, 'default', 's1');
    const after = await r.update(SECRETS, 'default', 's1', before);
    expect(Number(after.metadata!.resourceVersion)).toBeGreaterThan(Number(before.metadata!.resourceVersion));
    expect(await raw(SECRETS, 's1')).toMatch(/^k8s:enc:aesgcm:v1:b:/);
    // Once current, an unchanged update writes nothing (as ever).
    const again = await r.update(SECRETS, 'default', 's1', after);
    expect(again.metadata!.resourceVersion).toBe(after.metadata!.resourceVersion);
    // The old key removed: the rewritten Secret reads, the other does not.
    r = await open([gcm('b', KEY_B)]);
    expect((await r.get(SECRETS, 'default', 's1')).data).toEqual({ password: VALUE });
    await expect(r.get(SECRETS, 'default', 's2')).rejects.toMatchObject({ code: 500 });
    await expect(r.get(SECRETS, 'default', 's2')).rejects.toThrow(/sealed by aesgcm key "a"/);
  });

  it('encrypts Secrets written before encryption was on once they are rewritten', async () => {
    let r = await open([{ type: 'identity' }]);
    await r.create(SECRETS, 'default', secret('s1'));
    expect(JSON.parse(await raw()).data).toEqual({ password: VALUE });
    r = await open([gcm('a', KEY_A), { type: 'identity' }]);
    await r.update(SECRETS, 'default', 's1', await r.get(SECRETS, 'default', 's1'));
    expect(await raw()).toMatch(/^k8s:enc:aesgcm:v1:a:/);
  });

  it('a watch meeting a value no key opens ends with the error', async () => {
    const r = await open([gcm('a', KEY_A)]);
    const errors: Error[] = [];
    const wrongKey = encryptedStore(inner, new EncryptionTransformers({ resources: [{ resources: ['secrets'], providers: [gcm('a', KEY_B)] }] }));
    const w = wrongKey.watch('/registry/core/secrets/', {}, { onEvents: () => {}, onError: (e) => errors.push(e) });
    try {
      await r.create(SECRETS, 'default', secret('s1'));
      await waitFor('the watch error', () => (errors.length > 0 ? true : undefined));
      expect(errors[0]!.message).toMatch(/could not open it/);
    } finally {
      w.close();
    }
  });
});
