import { describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncryptionConfigError, parseEncryptionConfig } from './config.ts';
import { ensureDefaultEncryptionConfig, readEncryptionConfig } from './config-file.ts';

const KEY32 = Buffer.alloc(32, 7).toString('base64');
const KEY16 = Buffer.alloc(16, 7).toString('base64');

function doc(providers: string, resources = '[secrets]'): string {
  return `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: ${resources}\n    providers:\n${providers}`;
}

describe('parseEncryptionConfig', () => {
  it('reads Kubernetes\' documented example: providers in order, keys decoded', () => {
    const config = parseEncryptionConfig(
      doc(`      - aesgcm:\n          keys:\n            - name: key1\n              secret: ${KEY32}\n            - name: key2\n              secret: ${KEY16}\n      - aescbc:\n          keys:\n            - name: old\n              secret: ${KEY32}\n      - secretbox:\n          keys:\n            - name: sb\n              secret: ${KEY32}\n      - identity: {}\n`, '[secrets, configmaps]'),
    );
    expect(config.resources).toHaveLength(1);
    const [entry] = config.resources;
    expect(entry!.resources).toEqual(['secrets', 'configmaps']);
    expect(entry!.providers.map((p) => p.type)).toEqual(['aesgcm', 'aescbc', 'secretbox', 'identity']);
    const gcm = entry!.providers[0]!;
    expect(gcm.type === 'aesgcm' && gcm.keys.map((k) => [k.name, k.secret.length])).toEqual([['key1', 32], ['key2', 16]]);
  });

  it('accepts JSON too (it is YAML)', () => {
    const json = JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources: ['*.*'], providers: [{ identity: {} }] }] });
    expect(parseEncryptionConfig(json).resources[0]!.resources).toEqual(['*.*']);
  });

  it.each([
    ['wrong kind', 'apiVersion: apiserver.config.k8s.io/v1\nkind: Secret\nresources: []', /^kind: Unsupported value/],
    ['wrong apiVersion', 'apiVersion: v1\nkind: EncryptionConfiguration\nresources: []', /^apiVersion: Unsupported value/],
    ['no resources', 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: []', /^resources: Required value/],
    ['no providers', doc('      []\n').replace('providers:\n      []', 'providers: []'), /resources\[0\]\.providers: Required value/],
    ['two providers in one item', doc(`      - identity: {}\n        aesgcm: {keys: [{name: k, secret: ${KEY32}}]}\n`), /providers\[0\]: Invalid value: exactly one provider/],
    ['kms', doc('      - kms: {name: x}\n'), /providers\[0\]\.kms: Unsupported value/],
    ['no keys', doc('      - aesgcm: {keys: []}\n'), /providers\[0\]\.aesgcm\.keys: Required value/],
    ['a key without a name', doc(`      - aesgcm: {keys: [{secret: ${KEY32}}]}\n`), /keys\[0\]\.name: Required value/],
    ['a short aescbc key', doc(`      - aescbc: {keys: [{name: k, secret: ${KEY16}}]}\n`), /keys\[0\]\.secret: Invalid value: "REDACTED": aescbc key must be 32 bytes long, got 16/],
    ['a 31-byte aesgcm key', doc(`      - aesgcm: {keys: [{name: k, secret: ${Buffer.alloc(31).toString('base64')}}]}\n`), /aesgcm key must be 16, 24, 32 bytes long, got 31/],
    ['secret not base64', doc('      - secretbox: {keys: [{name: k, secret: "not base64!"}]}\n'), /keys\[0\]\.secret: Invalid value: "REDACTED": secrets must be base64 encoded/],
    ['duplicate key names', doc(`      - aesgcm: {keys: [{name: k, secret: ${KEY32}}, {name: k, secret: ${KEY32}}]}\n`), /keys\[1\]\.name: Duplicate value: "k"/],
    ['a resource twice', doc('      - identity: {}\n', '[secrets, secrets]'), /resources\[0\]\.resources\[1\]: Duplicate value/],
    ['a bad wildcard', doc('      - identity: {}\n', '["*"]'), /a wildcard must be/],
  ])('refuses %s, naming the field', (_what, text, message) => {
    let err: unknown;
    try {
      parseEncryptionConfig(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EncryptionConfigError);
    expect((err as Error).message).toMatch(message);
  });

  it('never puts key material in an error', () => {
    const bad = Buffer.alloc(20, 9).toString('base64');
    expect(() => parseEncryptionConfig(doc(`      - aesgcm: {keys: [{name: k, secret: ${bad}}]}\n`))).toThrow(/REDACTED/);
    try {
      parseEncryptionConfig(doc(`      - aesgcm: {keys: [{name: k, secret: ${bad}}]}\n`));
    } catch (err) {
      expect((err as Error).message).not.toContain(bad);
    }
  });
});

describe('the default configuration file', () => {
  it('is made once with mode 0600 (aesgcm, a 32-byte key, then identity) and then read as it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kactus-enc-'));
    try {
      const first = await ensureDefaultEncryptionConfig(dir);
      expect(first.created).toBe(true);
      expect((await stat(first.path)).mode & 0o777).toBe(0o600);
      const providers = first.config.resources[0]!.providers;
      expect(first.config.resources[0]!.resources).toEqual(['secrets']);
      expect(providers.map((p) => p.type)).toEqual(['aesgcm', 'identity']);
      expect(providers[0]!.type === 'aesgcm' && providers[0]!.keys[0]!.secret.length).toBe(32);
      const text = await readFile(first.path, 'utf8');
      const again = await ensureDefaultEncryptionConfig(dir);
      expect(again.created).toBe(false);
      expect(await readFile(again.path, 'utf8')).toBe(text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the file when it cannot be read or parsed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kactus-enc-'));
    try {
      await expect(readEncryptionConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read encryption provider config .*missing\.yaml/);
      await writeFile(join(dir, 'bad.yaml'), 'kind: Nope\n');
      await expect(readEncryptionConfig(join(dir, 'bad.yaml'))).rejects.toThrow(/encryption provider config .*bad\.yaml: apiVersion: Unsupported value/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
