/**
 * The cluster's PKI: a CA, a serving certificate signed by it, and the admin bearer token.
 * Created on first start in `DIR/pki/` and reused afterwards, so kubeconfigs written once keep
 * working across restarts. Private keys and the token are written with mode 0600. The CA and
 * token can be replaced by the cluster's shared ones (see cluster-identity.ts); the serving
 * certificate is then re-issued from that CA.
 */
import { exportKeyPem, importKeyPem, KEY_ALGORITHM, SIGNING_ALGORITHM } from '../net/certificate-requests.ts';
import { webcrypto, randomBytes, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { readOptional, writeFileAtomic } from '../os/files.ts';
import { isIP } from 'node:net';
import { join } from 'node:path';
// tsyringe (inside @peculiar/x509) needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';


x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** PEM material and token the API server and kubeconfig writers need. */
export interface Pki {
  caCertPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminToken: string;
  /** Directory the files live in (`DIR/pki`). */
  dir: string;
}

/** What all masters of one cluster share: the CA that signs serving certificates, and the admin token. */
export interface ClusterIdentity {
  caCertPem: string;
  caKeyPem: string;
  adminToken: string;
}

export interface PkiOptions {
  /** Extra DNS names or IP addresses for the serving certificate (127.0.0.1 and localhost are always in). */
  sans?: string[];
  /** Given this master's own identity, the cluster's (e.g. another master's, read from the store). */
  share?: (local: ClusterIdentity) => Promise<ClusterIdentity>;
}

/** Every key of the cluster's PKI: ECDSA P-256 (also client keys, client-certificates.ts). */
export { exportKeyPem, importKeyPem, KEY_ALGORITHM, SIGNING_ALGORITHM };

const CA_YEARS = 10;
const SERVER_YEARS = 2;
const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  serverCert: 'apiserver.crt',
  serverKey: 'apiserver.key',
  token: 'admin.token',
} as const;

/**
 * Loads the PKI from `dataDir/pki`, creating what is missing. A serving certificate that does not
 * cover every requested SAN is re-issued from the existing CA (the CA itself is never replaced).
 */
export async function loadOrCreatePki(dataDir: string, opts: PkiOptions = {}): Promise<Pki> {
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const sans = uniqueSans(opts.sans ?? []);

  const local = await loadOrCreateIdentity(dir);
  const identity = opts.share ? await opts.share(local) : local;
  if (!sameIdentity(identity, local)) await writeIdentity(dir, identity);
  const { caCertPem, caKeyPem, adminToken } = identity;

  let serverCertPem = await readOptional(join(dir, FILES.serverCert));
  let serverKeyPem = await readOptional(join(dir, FILES.serverKey));
  if (
    serverCertPem === undefined ||
    serverKeyPem === undefined ||
    !coversSans(serverCertPem, sans) ||
    !issuedBy(serverCertPem, caCertPem)
  ) {
    ({ certPem: serverCertPem, keyPem: serverKeyPem } = await createServingCert(caCertPem, caKeyPem, sans));
    await writePrivate(join(dir, FILES.serverKey), serverKeyPem);
    await writeFile(join(dir, FILES.serverCert), serverCertPem);
  }

  return { caCertPem, caKeyPem, serverCertPem, serverKeyPem, adminToken, dir };
}

async function loadOrCreateIdentity(dir: string): Promise<ClusterIdentity> {
  let caCertPem = await readOptional(join(dir, FILES.caCert));
  let caKeyPem = await readOptional(join(dir, FILES.caKey));
  if (caCertPem === undefined || caKeyPem === undefined) {
    ({ certPem: caCertPem, keyPem: caKeyPem } = await createCa());
    await writePrivate(join(dir, FILES.caKey), caKeyPem);
    await writeFile(join(dir, FILES.caCert), caCertPem);
  }
  let adminToken = (await readOptional(join(dir, FILES.token)))?.trim();
  if (!adminToken) {
    adminToken = randomBytes(32).toString('base64url');
    await writePrivate(join(dir, FILES.token), `${adminToken}\n`);
  }
  return { caCertPem, caKeyPem, adminToken };
}

async function writeIdentity(dir: string, identity: ClusterIdentity): Promise<void> {
  await writePrivate(join(dir, FILES.caKey), identity.caKeyPem);
  await writeFile(join(dir, FILES.caCert), identity.caCertPem);
  await writePrivate(join(dir, FILES.token), `${identity.adminToken}\n`);
}

function sameIdentity(a: ClusterIdentity, b: ClusterIdentity): boolean {
  return a.caCertPem === b.caCertPem && a.caKeyPem === b.caKeyPem && a.adminToken === b.adminToken;
}

/** True when `certPem` was signed by the CA in `caCertPem`. */
function issuedBy(certPem: string, caCertPem: string): boolean {
  const cert = new NodeX509(certPem);
  const ca = new NodeX509(caCertPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

function uniqueSans(extra: string[]): string[] {
  return [...new Set(['127.0.0.1', 'localhost', ...extra.filter((s) => s.length > 0)])];
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=kactus-ca',
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    notBefore: backdated(),
    notAfter: yearsFromNow(CA_YEARS),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

async function createServingCert(caCertPem: string, caKeyPem: string, sans: string[]): Promise<{ certPem: string; keyPem: string }> {
  const caCert = new x509.X509Certificate(caCertPem);
  const caKey = await importKeyPem(caKeyPem);
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const names = sans.map((s) => (isIP(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s }));
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=kactus-apiserver',
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    notBefore: backdated(),
    notAfter: yearsFromNow(SERVER_YEARS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/** True when the certificate names every SAN (checked with Node's own X.509 parser). */
function coversSans(certPem: string, sans: string[]): boolean {
  const cert = new NodeX509(certPem);
  return sans.every((s) => (isIP(s) ? cert.checkIP(s) !== undefined : cert.checkHost(s) !== undefined));
}

/** Clocks of clients may lag a little; a certificate valid from a minute ago avoids "not yet valid". */
export function backdated(): Date {
  return new Date(Date.now() - 60_000);
}

function yearsFromNow(years: number): Date {
  const d = new Date();
  d.setFullYear(d.getFullYear() + years);
  return d;
}


async function writePrivate(path: string, content: string): Promise<void> {
  await writeFileAtomic(path, content);
}
