/**
 * Stored value ⇄ plain value, as Kubernetes' prefix transformers: every encrypted value starts
 * with `k8s:enc:<provider>:v1:<key name>:` naming what sealed it. The first provider (its first
 * key) seals every write; any listed provider and key opens what it sealed; `identity` reads
 * values that carry no such prefix (data written before encryption was turned on). A value read
 * through anything but the first provider and key is *stale*: the registry rewrites it even when
 * an update changes nothing (`kactus secrets reencrypt`, `kubectl replace`), which is how keys
 * are rotated.
 *
 * The store holds UTF-8 strings (src/store/types.ts), so the sealed bytes after the prefix are
 * base64, where Kubernetes writes them raw into etcd.
 */
import { cipherFor, type Cipher } from './providers.ts';
import type { EncryptionConfig, ProviderConfig } from './config.ts';

/** Every Kubernetes-encrypted value starts with this. */
export const ENCRYPTED_PREFIX = 'k8s:enc:';

/** A stored value no configured provider can read (wrong key, a removed key, corrupt data). */
export class DecryptionError extends Error {
  constructor(
    readonly storeKey: string,
    reason: string,
  ) {
    super(`unable to decrypt the value stored at ${storeKey}: ${reason}`);
    this.name = 'DecryptionError';
  }
}

export interface ReadValue {
  value: string;
  /** Read through a provider or key other than the one that seals writes: rewrite it. */
  stale: boolean;
}

interface Sealer {
  /** `k8s:enc:aesgcm:v1:key1:` */
  prefix: string;
  cipher: Cipher;
}

/** One resource group's providers, in order. */
export class ValueTransformer {
  private readonly sealers: Sealer[] = [];
  /** The sealer of writes; undefined when `identity` comes first (writes stay plain). */
  private readonly writer: Sealer | undefined;
  private readonly readsPlain: boolean;

  constructor(providers: ProviderConfig[]) {
    for (const p of providers) {
      if (p.type === 'identity') continue;
      for (const key of p.keys) this.sealers.push({ prefix: `${ENCRYPTED_PREFIX}${p.type}:v1:${key.name}:`, cipher: cipherFor(p.type, key.secret) });
    }
    const first = providers[0];
    this.writer = first && first.type !== 'identity' ? this.sealers[0] : undefined;
    this.readsPlain = providers.some((p) => p.type === 'identity');
  }

  /** Whether writes are sealed (false when `identity` is the first provider). */
  get encrypts(): boolean {
    return this.writer !== undefined;
  }

  /** The stored form of `plain` at `storeKey`. */
  toStorage(plain: string, storeKey: string): string {
    if (!this.writer) return plain;
    return this.writer.prefix + this.writer.cipher.seal(Buffer.from(plain, 'utf8'), Buffer.from(storeKey, 'utf8')).toString('base64');
  }

  /** The plain value of `stored` at `storeKey`; DecryptionError when no provider can read it. */
  fromStorage(stored: string, storeKey: string): ReadValue {
    if (!stored.startsWith(ENCRYPTED_PREFIX)) {
      if (!this.readsPlain) throw new DecryptionError(storeKey, 'the value is not encrypted and no identity provider is configured');
      return { value: stored, stale: this.writer !== undefined };
    }
    const sealer = this.sealers.find((s) => stored.startsWith(s.prefix));
    if (!sealer) {
      const named = stored.slice(ENCRYPTED_PREFIX.length).split(':').slice(0, 3);
      throw new DecryptionError(storeKey, `it was sealed by ${named[0]} key ${JSON.stringify(named[2] ?? '')}, which the encryption configuration does not list`);
    }
    let plain: Buffer;
    try {
      plain = sealer.cipher.open(Buffer.from(stored.slice(sealer.prefix.length), 'base64'), Buffer.from(storeKey, 'utf8'));
    } catch (err) {
      throw new DecryptionError(storeKey, `${sealer.prefix.slice(0, -1)} could not open it (another key of the same name, or changed data): ${(err as Error).message}`);
    }
    return { value: plain.toString('utf8'), stale: sealer !== this.writer };
  }
}

/**
 * Which transformer a store key gets: keys are `/registry/<group|core>/<resource>/...`; a
 * resource's entry is, as in Kubernetes, its exact `resource.group` name, else `*.<group>`, else
 * `*.*`; the first configuration entry naming it wins. Keys of unlisted resources are untouched.
 */
export class EncryptionTransformers {
  private readonly byName = new Map<string, ValueTransformer>();
  private readonly byPrefix = new Map<string, ValueTransformer | undefined>();

  constructor(readonly config: EncryptionConfig) {
    for (const entry of config.resources) {
      const transformer = new ValueTransformer(entry.providers);
      for (const name of entry.resources) if (!this.byName.has(name)) this.byName.set(name, transformer);
    }
  }

  /** The transformer of `storeKey`'s resource, or undefined when its values are stored as they are. */
  forKey(storeKey: string): ValueTransformer | undefined {
    const parts = storeKey.split('/');
    // ['', 'registry', group, resource, ...]
    if (parts.length < 5 || parts[0] !== '' || parts[1] !== 'registry') return undefined;
    const prefix = `${parts[2]}/${parts[3]}`;
    if (this.byPrefix.has(prefix)) return this.byPrefix.get(prefix);
    const group = parts[2] === 'core' ? '' : parts[2]!;
    const resource = parts[3]!;
    const found = this.byName.get(group === '' ? resource : `${resource}.${group}`) ?? this.byName.get(`*.${group}`) ?? this.byName.get('*.*');
    this.byPrefix.set(prefix, found);
    return found;
  }
}
