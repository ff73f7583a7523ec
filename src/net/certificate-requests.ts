/**
 * The requester's half of the cluster's client certificates: an ECDSA P-256 key, a PKCS#10
 * request for it, the validity of what comes back. A node daemon makes these at join and to renew
 * (node-daemon/credentials.ts); the master's half, signing, is src/apiserver/client-certificates.ts.
 * Here, beside the join protocol that carries them, so node daemons need nothing of the API server.
 */
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;

export const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A private key as PKCS#8 PEM. */
export async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A PKCS#8 PEM private key, for signing (`extractable` when its public half must be derived). */
export async function importKeyPem(pem: string, extractable = false): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, extractable, ['sign']);
}

/** A new ECDSA P-256 key and a PKCS#10 request signed by it (what a node sends to be certified). */
export async function createKeyAndRequest(commonName: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  return { keyPem: await exportKeyPem(keys.privateKey), csrPem: await requestFor(keys, commonName) };
}

/** A PKCS#10 request for an existing key pair (renewal keeps the key). */
export async function requestForKey(keyPem: string, commonName: string): Promise<string> {
  const privateKey = await importKeyPem(keyPem, true);
  // The public half of an EC key, from its JWK (x, y) without the private scalar.
  const jwk = await webcrypto.subtle.exportKey('jwk', privateKey);
  delete jwk.d;
  jwk.key_ops = ['verify'];
  const publicKey = await webcrypto.subtle.importKey('jwk', jwk, KEY_ALGORITHM, true, ['verify']);
  return requestFor({ privateKey, publicKey }, commonName);
}

async function requestFor(keys: webcrypto.CryptoKeyPair, commonName: string): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: [{ CN: [commonName] }], keys, signingAlgorithm: SIGNING_ALGORITHM });
  return csr.toString('pem');
}

/** Validity bounds of a PEM certificate. */
export function certificateValidity(certPem: string): { notBefore: Date; notAfter: Date } {
  const cert = new NodeX509(certPem);
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}
