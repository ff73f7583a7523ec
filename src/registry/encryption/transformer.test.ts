import { describe, expect, it } from 'vitest';
import type { CipherName, ProviderConfig } from './config.ts';
import { DecryptionError, EncryptionTransformers, ValueTransformer } from './transformer.ts';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const OTHER = Buffer.alloc(32, 0xee);
const STORE_KEY = '/registry/core/secrets/default/s1';
const PLAIN = '{"kind":"Secret","data":{"a":"dmFsdWU="}}';

const cipher = (type: CipherName, name: string, secret = KEY): ProviderConfig => ({ type, keys: [{ name, secret }] });

/**
 * Values sealed by other implementations, with fixed nonces: AES-GCM (the store key as additional
 * data) and AES-CBC by Debian's python3-cryptography, secretbox by tweetnacl — the byte layouts of
 * Kubernetes' transformers, so a kactus store and Kubernetes' etcd agree on what is inside.
 */
const SEALED_ELSEWHERE: [CipherName, string][] = [
  ['aesgcm', 'AQEBAQEBAQEBAQEBDOGOXAbhSlz2BwJ7agIm+udM67rl4jTmiPlmzqcrmlzqpQYYs6t4TiVDNPTpsAHdgmLVuodRIslz'],
  ['aescbc', 'AgICAgICAgICAgICAgICAjLlQnkGjQrX/3F/KIYGR7PshuiMdsi5xnFzJ/5wUoMa9osg61Co8g4FWQxzBSYhMA=='],
  ['secretbox', 'AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD6ypDUGa5bPzOH6yfPVZ/Nu83fwyn/Id+ZKKmYdrIP7Ded6veAGT3SKxGTp0ZojoYyECrefRDO4UD'],
];

describe('ValueTransformer', () => {
  it.each(SEALED_ELSEWHERE)('opens a %s value sealed by another implementation', (type, body) => {
    const t = new ValueTransformer([cipher(type, 'key1')]);
    expect(t.fromStorage(`k8s:enc:${type}:v1:key1:${body}`, STORE_KEY)).toEqual({ value: PLAIN, stale: false });
  });

  it.each(['aesgcm', 'aescbc', 'secretbox'] as CipherName[])('%s: seals with the k8s:enc prefix, a fresh nonce per write, and opens it again', (type) => {
    const t = new ValueTransformer([cipher(type, 'key1'), { type: 'identity' }]);
    const a = t.toStorage(PLAIN, STORE_KEY);
    const b = t.toStorage(PLAIN, STORE_KEY);
    expect(a.startsWith(`k8s:enc:${type}:v1:key1:`)).toBe(true);
    expect(a).not.toBe(b);
    expect(a).not.toContain('dmFsdWU=');
    expect(t.fromStorage(a, STORE_KEY)).toEqual({ value: PLAIN, stale: false });
  });

  it('aesgcm binds a value to its store key: copied under another key it does not open', () => {
    const t = new ValueTransformer([cipher('aesgcm', 'key1')]);
    const sealed = t.toStorage(PLAIN, STORE_KEY);
    expect(() => t.fromStorage(sealed, '/registry/core/secrets/default/s2')).toThrow(DecryptionError);
  });

  it('a changed byte does not open (authenticated ciphers)', () => {
    for (const type of ['aesgcm', 'secretbox'] as CipherName[]) {
      const t = new ValueTransformer([cipher(type, 'key1')]);
      const sealed = t.toStorage(PLAIN, STORE_KEY);
      const body = Buffer.from(sealed.slice(`k8s:enc:${type}:v1:key1:`.length), 'base64');
      body[body.length - 3]! ^= 1;
      expect(() => t.fromStorage(`k8s:enc:${type}:v1:key1:${body.toString('base64')}`, STORE_KEY)).toThrow(/could not open it/);
    }
  });

  it('rotation: every listed key opens, only the first seals; reads through the others are stale', () => {
    const before = new ValueTransformer([cipher('aesgcm', 'old', OTHER), { type: 'identity' }]);
    const sealedOld = before.toStorage(PLAIN, STORE_KEY);
    // Step 1: the new key added, second — still sealing with the old one.
    const added = new ValueTransformer([cipher('aesgcm', 'old', OTHER), cipher('aesgcm', 'new'), { type: 'identity' }]);
    expect(added.fromStorage(sealedOld, STORE_KEY)).toEqual({ value: PLAIN, stale: false });
    // Step 2: the new key first: old values still open but are stale.
    const rotated = new ValueTransformer([{ type: 'aesgcm', keys: [{ name: 'new', secret: KEY }, { name: 'old', secret: OTHER }] }, { type: 'identity' }]);
    expect(rotated.fromStorage(sealedOld, STORE_KEY)).toEqual({ value: PLAIN, stale: true });
    const rewritten = rotated.toStorage(PLAIN, STORE_KEY);
    expect(rewritten.startsWith('k8s:enc:aesgcm:v1:new:')).toBe(true);
    // Step 3: the old key removed: what was rewritten reads; what was not is an error naming the key.
    const after = new ValueTransformer([cipher('aesgcm', 'new'), { type: 'identity' }]);
    expect(after.fromStorage(rewritten, STORE_KEY).stale).toBe(false);
    expect(() => after.fromStorage(sealedOld, STORE_KEY)).toThrow(/sealed by aesgcm key "old", which the encryption configuration does not list/);
  });

  it('identity: reads plain values (stale when another provider seals), refuses them when not listed', () => {
    expect(new ValueTransformer([cipher('aesgcm', 'k'), { type: 'identity' }]).fromStorage(PLAIN, STORE_KEY)).toEqual({ value: PLAIN, stale: true });
    expect(() => new ValueTransformer([cipher('aesgcm', 'k')]).fromStorage(PLAIN, STORE_KEY)).toThrow(/not encrypted and no identity provider/);
    const identityFirst = new ValueTransformer([{ type: 'identity' }, cipher('aesgcm', 'k')]);
    expect(identityFirst.encrypts).toBe(false);
    expect(identityFirst.toStorage(PLAIN, STORE_KEY)).toBe(PLAIN);
    expect(identityFirst.fromStorage(PLAIN, STORE_KEY)).toEqual({ value: PLAIN, stale: false });
    // Decrypting to plaintext: what was sealed still opens, and is stale (rewritten plain).
    const sealed = new ValueTransformer([cipher('aesgcm', 'k')]).toStorage(PLAIN, STORE_KEY);
    expect(identityFirst.fromStorage(sealed, STORE_KEY)).toEqual({ value: PLAIN, stale: true });
  });
});

describe('EncryptionTransformers.forKey', () => {
  const gcm = cipher('aesgcm', 'k');
  const t = new EncryptionTransformers({
    resources: [
      { resources: ['secrets', 'deployments.apps'], providers: [gcm] },
      { resources: ['*.apps'], providers: [cipher('secretbox', 's')] },
      { resources: ['*.*'], providers: [{ type: 'identity' }] },
    ],
  });

  it('matches the exact resource, then *.<group>, then *.*', () => {
    expect(t.forKey('/registry/core/secrets/ns/a')?.encrypts).toBe(true);
    expect(t.forKey('/registry/apps/deployments/ns/a')).toBe(t.forKey('/registry/core/secrets/ns/a'));
    expect(t.forKey('/registry/apps/statefulsets/ns/a')).not.toBe(t.forKey('/registry/core/secrets/ns/a'));
    expect(t.forKey('/registry/apps/statefulsets/ns/a')?.encrypts).toBe(true);
    expect(t.forKey('/registry/core/configmaps/ns/a')?.encrypts).toBe(false);
  });

  it('leaves keys outside /registry/<group>/<resource>/ alone', () => {
    const onlySecrets = new EncryptionTransformers({ resources: [{ resources: ['secrets'], providers: [gcm] }] });
    expect(onlySecrets.forKey('/registry/core/configmaps/ns/a')).toBeUndefined();
    expect(onlySecrets.forKey('/registry/core/secrets')).toBeUndefined();
    expect(onlySecrets.forKey('/kactus/transitions/1')).toBeUndefined();
    // A Secret named like a group segment is still a Secret.
    expect(onlySecrets.forKey('/registry/core/secrets/core/secrets')?.encrypts).toBe(true);
  });

  it('the first entry naming a resource wins', () => {
    const twice = new EncryptionTransformers({
      resources: [
        { resources: ['secrets'], providers: [gcm] },
        { resources: ['*.'], providers: [{ type: 'identity' }] },
      ],
    });
    expect(twice.forKey('/registry/core/secrets/ns/a')?.encrypts).toBe(true);
    expect(twice.forKey('/registry/core/pods/ns/a')?.encrypts).toBe(false);
  });
});
