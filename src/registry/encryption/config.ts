/**
 * Kubernetes' EncryptionConfiguration (apiserver.config.k8s.io/v1), the file
 * `--encryption-provider-config` names: for each group of resources, an ordered list of
 * providers. The first provider encrypts every write; every listed provider (and every key of
 * each) decrypts, so a key is rotated by adding it, rewriting, then removing the old one.
 *
 * ```yaml
 * apiVersion: apiserver.config.k8s.io/v1
 * kind: EncryptionConfiguration
 * resources:
 *   - resources: [secrets]
 *     providers:
 *       - aesgcm: { keys: [{ name: key1, secret: <base64 of 32 random bytes> }] }
 *       - identity: {}
 * ```
 *
 * Parsing checks what Kubernetes' validation checks (encryptionconfig/validation) and names the
 * offending field; `kms` providers are not supported.
 */
import { parse } from 'yaml';
import { isRecord } from '../../api/object.ts';

export const ENCRYPTION_CONFIG_API_VERSION = 'apiserver.config.k8s.io/v1';
export const ENCRYPTION_CONFIG_KIND = 'EncryptionConfiguration';

export type CipherName = 'aesgcm' | 'aescbc' | 'secretbox';

export interface EncryptionKey {
  name: string;
  /** The decoded key bytes. */
  secret: Buffer;
}

export type ProviderConfig = { type: CipherName; keys: EncryptionKey[] } | { type: 'identity' };

export interface ResourceEncryption {
  /** As written: `secrets`, `deployments.apps`, `*.apps`, `*.` (the core group), `*.*`. */
  resources: string[];
  providers: ProviderConfig[];
}

export interface EncryptionConfig {
  resources: ResourceEncryption[];
}

/** The file is not a valid EncryptionConfiguration; the message names the field. */
export class EncryptionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionConfigError';
  }
}

/** Key lengths Kubernetes accepts per cipher (AES-128/192/256-GCM; CBC and secretbox 256-bit only). */
const KEY_LENGTHS: Record<CipherName, number[]> = { aesgcm: [16, 24, 32], aescbc: [32], secretbox: [32] };
const CIPHERS = Object.keys(KEY_LENGTHS) as CipherName[];
const PROVIDER_NAMES = [...CIPHERS, 'identity', 'kms'];

/** Parses and checks an EncryptionConfiguration document (YAML or JSON). */
export function parseEncryptionConfig(text: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new EncryptionConfigError(`not valid YAML: ${(err as Error).message}`);
  }
  if (!isRecord(doc)) throw new EncryptionConfigError('the document is not an object');
  if (doc.apiVersion !== ENCRYPTION_CONFIG_API_VERSION) throw new EncryptionConfigError(`apiVersion: Unsupported value: ${JSON.stringify(doc.apiVersion)}: supported values: "${ENCRYPTION_CONFIG_API_VERSION}"`);
  if (doc.kind !== ENCRYPTION_CONFIG_KIND) throw new EncryptionConfigError(`kind: Unsupported value: ${JSON.stringify(doc.kind)}: supported values: "${ENCRYPTION_CONFIG_KIND}"`);
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) throw new EncryptionConfigError('resources: Required value: at least one resource group is required');
  const seen = new Set<string>();
  const resources = doc.resources.map((entry: unknown, i: number) => parseResourceEntry(entry, `resources[${i}]`, seen));
  return { resources };
}

function parseResourceEntry(entry: unknown, path: string, seen: Set<string>): ResourceEncryption {
  if (!isRecord(entry)) throw new EncryptionConfigError(`${path}: Invalid value: must be an object`);
  const names = entry.resources;
  if (!Array.isArray(names) || names.length === 0) throw new EncryptionConfigError(`${path}.resources: Required value: at least one resource is required`);
  names.forEach((name: unknown, j: number) => {
    const field = `${path}.resources[${j}]`;
    if (typeof name !== 'string' || name === '') throw new EncryptionConfigError(`${field}: Invalid value: must be a non-empty string`);
    if (name !== name.toLowerCase()) throw new EncryptionConfigError(`${field}: Invalid value: ${JSON.stringify(name)}: resource name must be lowercase`);
    if (name.startsWith('*') && !/^\*\.([a-z0-9.-]*|\*)$/.test(name)) throw new EncryptionConfigError(`${field}: Invalid value: ${JSON.stringify(name)}: a wildcard must be "*.<group>", "*." or "*.*"`);
    if (seen.has(name)) throw new EncryptionConfigError(`${field}: Duplicate value: ${JSON.stringify(name)}`);
    seen.add(name);
  });
  const providers = entry.providers;
  if (!Array.isArray(providers) || providers.length === 0) throw new EncryptionConfigError(`${path}.providers: Required value: at least one provider is required`);
  return { resources: names as string[], providers: providers.map((p: unknown, j: number) => parseProvider(p, `${path}.providers[${j}]`)) };
}

function parseProvider(p: unknown, path: string): ProviderConfig {
  if (!isRecord(p)) throw new EncryptionConfigError(`${path}: Invalid value: must be an object`);
  const named = Object.keys(p).filter((k) => p[k] !== undefined && p[k] !== null);
  if (named.length !== 1) throw new EncryptionConfigError(`${path}: Invalid value: exactly one provider must be configured (one of ${PROVIDER_NAMES.join(', ')})`);
  const type = named[0]!;
  if (type === 'identity') return { type: 'identity' };
  if (type === 'kms') throw new EncryptionConfigError(`${path}.kms: Unsupported value: kms providers are not supported by kactus`);
  if (!CIPHERS.includes(type as CipherName)) throw new EncryptionConfigError(`${path}: Unsupported value: ${JSON.stringify(type)}: supported values: ${PROVIDER_NAMES.map((n) => `"${n}"`).join(', ')}`);
  const cipher = type as CipherName;
  const body = p[cipher];
  const keys = isRecord(body) ? body.keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0) throw new EncryptionConfigError(`${path}.${cipher}.keys: Required value: at least one key is required`);
  const names = new Set<string>();
  return {
    type: cipher,
    keys: keys.map((k: unknown, i: number) => {
      const field = `${path}.${cipher}.keys[${i}]`;
      const key = parseKey(k, field, cipher);
      if (names.has(key.name)) throw new EncryptionConfigError(`${field}.name: Duplicate value: ${JSON.stringify(key.name)}`);
      names.add(key.name);
      return key;
    }),
  };
}

function parseKey(k: unknown, path: string, cipher: CipherName): EncryptionKey {
  if (!isRecord(k)) throw new EncryptionConfigError(`${path}: Invalid value: must be an object`);
  const { name, secret } = k;
  if (typeof name !== 'string' || name === '') throw new EncryptionConfigError(`${path}.name: Required value: key name is required`);
  // The name is part of every stored value's prefix (`k8s:enc:aesgcm:v1:<name>:`).
  if (name.includes(':')) throw new EncryptionConfigError(`${path}.name: Invalid value: ${JSON.stringify(name)}: must not contain ":"`);
  if (typeof secret !== 'string' || secret === '') throw new EncryptionConfigError(`${path}.secret: Required value: key material is required`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) || secret.length % 4 !== 0) throw new EncryptionConfigError(`${path}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
  const bytes = Buffer.from(secret, 'base64');
  const lengths = KEY_LENGTHS[cipher];
  if (!lengths.includes(bytes.length)) {
    throw new EncryptionConfigError(`${path}.secret: Invalid value: "REDACTED": ${cipher} key must be ${lengths.join(', ')} bytes long, got ${bytes.length}`);
  }
  return { name, secret: bytes };
}
