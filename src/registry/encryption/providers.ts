/**
 * The ciphers of an EncryptionConfiguration, each as Kubernetes' value transformers lay out their
 * bytes (staging/src/k8s.io/apiserver/pkg/storage/value/encrypt/{aes,secretbox}):
 *
 * - `aesgcm`: 12-byte random nonce ‖ AES-GCM ciphertext ‖ 16-byte tag, the store key as
 *   additional authenticated data (a value copied under another key does not decrypt).
 * - `aescbc`: 16-byte random IV ‖ AES-256-CBC ciphertext with PKCS#7 padding.
 * - `secretbox`: 24-byte random nonce ‖ NaCl secretbox (XSalsa20-Poly1305: tag ‖ ciphertext).
 *
 * AES comes from node:crypto; XSalsa20-Poly1305 (which node:crypto lacks) from @noble/ciphers.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { secretbox } from '@noble/ciphers/salsa.js';
import type { CipherName } from './config.ts';

/** One cipher under one key. `additionalData` is the store key (used by AES-GCM only, as Kubernetes). */
export interface Cipher {
  seal(plain: Buffer, additionalData: Buffer): Buffer;
  /** Throws when the bytes were not sealed by this key (or were changed). */
  open(sealed: Buffer, additionalData: Buffer): Buffer;
}

const GCM_NONCE = 12;
const GCM_TAG = 16;
const CBC_IV = 16;
const SECRETBOX_NONCE = 24;

function aesGcm(key: Buffer): Cipher {
  const algorithm = `aes-${key.length * 8}-gcm` as CipherGCMTypes;
  return {
    seal(plain, aad) {
      const nonce = randomBytes(GCM_NONCE);
      const c = createCipheriv(algorithm, key, nonce, { authTagLength: GCM_TAG });
      c.setAAD(aad);
      return Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
    },
    open(sealed, aad) {
      if (sealed.length < GCM_NONCE + GCM_TAG) throw new Error('the data is too short for AES-GCM');
      const nonce = sealed.subarray(0, GCM_NONCE);
      const tag = sealed.subarray(sealed.length - GCM_TAG);
      const d = createDecipheriv(algorithm, key, nonce, { authTagLength: GCM_TAG });
      d.setAAD(aad);
      d.setAuthTag(tag);
      return Buffer.concat([d.update(sealed.subarray(GCM_NONCE, sealed.length - GCM_TAG)), d.final()]);
    },
  };
}

function aesCbc(key: Buffer): Cipher {
  return {
    seal(plain) {
      const iv = randomBytes(CBC_IV);
      const c = createCipheriv('aes-256-cbc', key, iv);
      return Buffer.concat([iv, c.update(plain), c.final()]);
    },
    open(sealed) {
      if (sealed.length < 2 * CBC_IV || sealed.length % CBC_IV !== 0) throw new Error('the data is not a whole number of AES blocks');
      const d = createDecipheriv('aes-256-cbc', key, sealed.subarray(0, CBC_IV));
      return Buffer.concat([d.update(sealed.subarray(CBC_IV)), d.final()]);
    },
  };
}

function naclSecretbox(key: Buffer): Cipher {
  return {
    seal(plain) {
      const nonce = randomBytes(SECRETBOX_NONCE);
      return Buffer.concat([nonce, secretbox(key, nonce).seal(plain)]);
    },
    open(sealed) {
      if (sealed.length < SECRETBOX_NONCE + 16) throw new Error('the data is too short for secretbox');
      const opened = secretbox(key, sealed.subarray(0, SECRETBOX_NONCE)).open(sealed.subarray(SECRETBOX_NONCE));
      return Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength);
    },
  };
}

const FACTORIES: Record<CipherName, (key: Buffer) => Cipher> = { aesgcm: aesGcm, aescbc: aesCbc, secretbox: naclSecretbox };

/** The cipher `name` under `key` (a length the config check accepted). */
export function cipherFor(name: CipherName, key: Buffer): Cipher {
  return FACTORIES[name](key);
}
