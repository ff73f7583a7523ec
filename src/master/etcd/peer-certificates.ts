/**
 * The certificates etcd members present to each other (`--peer-cert-file`): signed by the
 * cluster CA, subject CN `kactus-etcd-peer` — every member runs with `--peer-cert-allowed-cn
 * kactus-etcd-peer`, so the CA's other certificates (nodes', users') cannot speak raft —, usable
 * as server and client (a member both listens for and dials its peers), naming the member's
 * advertise address and loopback: etcd checks a connecting peer's certificate names the address
 * it connects from, and on one machine that is 127.0.0.1 whatever 127.0.0.x it advertises.
 *
 * The first master signs its own with the CA in its data dir; a joining master sends a PKCS#10
 * request for a key it keeps and gets the certificate in the join answer (its private key never
 * leaves its machine).
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { backdated, importKeyPem, SIGNING_ALGORITHM } from '../../apiserver/pki.ts';
import { CertificateRequestError } from '../../apiserver/client-certificates.ts';

/** The CN every member's peer certificate carries and every member requires (`--peer-cert-allowed-cn`). */
export const PEER_COMMON_NAME = 'kactus-etcd-peer';
/** Ten years, as the CA: a member's certificate must not expire under a running cluster. */
const PEER_CERT_YEARS = 10;

/** A peer certificate for the key of `csrPem` naming `address` (an IP), 127.0.0.1 and localhost. */
export async function signPeerCertificate(caCertPem: string, caKeyPem: string, csrPem: string, address: string): Promise<string> {
  if (isIP(address) === 0) throw new CertificateRequestError(`advertise address "${address}" is not an IP address`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new CertificateRequestError(`malformed certificate request: ${(err as Error).message}`);
  }
  if (!(await csr.verify().catch(() => false))) throw new CertificateRequestError('the certificate request is not signed by its key');
  const caCert = new x509.X509Certificate(caCertPem);
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + PEER_CERT_YEARS);
  const ips = [...new Set([address, '127.0.0.1'])];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    subject: [{ CN: [PEER_COMMON_NAME] }],
    issuer: caCert.subject,
    publicKey: csr.publicKey,
    signingKey: await importKeyPem(caKeyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    notBefore: backdated(),
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([...ips.map((value) => ({ type: 'ip' as const, value })), { type: 'dns', value: 'localhost' }]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return cert.toString('pem');
}
