/**
 * Client certificates signed by the cluster CA: what x509 authentication (http/auth.ts) accepts.
 * As Kubernetes' x509 authenticator reads them, the subject's CN is the user name and each O a
 * group; the certificate must chain to the cluster CA, be within its validity and carry the
 * clientAuth extended key usage.
 *
 * Two ways to get one: a node daemon sends a PKCS#10 request for its own key at join (and again
 * to renew it) and the master signs it with the name the master decides — the request's subject
 * is ignored, so a node cannot pick who it is; `kactus certs create user` makes a key and
 * certificate in one go where the CA key is (the admin's machine), as `kubeadm kubeconfig user`.
 * The master keeps nothing secret for either: the private key never leaves its owner.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { NODE_USER_PREFIX, NODES_GROUP } from '../api/user.ts';
import { backdated, exportKeyPem, importKeyPem, KEY_ALGORITHM, SIGNING_ALGORITHM } from './pki.ts';

// The requester's half (a node's key and request): src/net, where node daemons may reach it.
export { certificateValidity, createKeyAndRequest, requestForKey } from '../net/certificate-requests.ts';

/** id-kp-clientAuth: the extended key usage a client certificate must carry. */
export const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
/** Lifetime of a node's client certificate (the kubelet's default: one year). */
export const NODE_CERT_VALIDITY_SECONDS = 365 * 24 * 60 * 60;

/** Who a certificate names: CN = user, O = groups. */
export interface CertificateSubject {
  commonName: string;
  organizations: string[];
}

/** The subject of node `nodeName`'s certificate. */
export function nodeSubject(nodeName: string): CertificateSubject {
  return { commonName: `${NODE_USER_PREFIX}${nodeName}`, organizations: [NODES_GROUP] };
}

/** A certificate request (or the public key) was not acceptable. */
export class CertificateRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateRequestError';
  }
}

/** Signs client certificates with the cluster CA. Holds the CA key; never writes anything. */
export class ClientCertificateIssuer {
  constructor(
    private readonly caCertPem: string,
    private readonly caKeyPem: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The CA clients verify the API server with (and which signs their certificates). */
  get caCertificate(): string {
    return this.caCertPem;
  }

  /**
   * A certificate for the key of a PKCS#10 request (PEM), naming `subject` whatever the request
   * says. Throws CertificateRequestError when the request is malformed or its signature (the
   * proof that the asker holds the key) does not verify.
   */
  async signRequest(csrPem: string, subject: CertificateSubject, validitySeconds: number): Promise<string> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (err) {
      throw new CertificateRequestError(`malformed certificate request: ${(err as Error).message}`);
    }
    if (!(await csr.verify().catch(() => false))) throw new CertificateRequestError('the certificate request is not signed by its key');
    return this.issue(csr.publicKey, subject, validitySeconds);
  }

  /** A new key and its certificate (`kactus certs create user`). */
  async createKeyAndCertificate(subject: CertificateSubject, validitySeconds: number): Promise<{ certPem: string; keyPem: string }> {
    const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
    const certPem = await this.issue(keys.publicKey, subject, validitySeconds);
    return { certPem, keyPem: await exportKeyPem(keys.privateKey) };
  }

  private async issue(publicKey: x509.PublicKeyType, subject: CertificateSubject, validitySeconds: number): Promise<string> {
    if (subject.commonName === '') throw new CertificateRequestError('a client certificate needs a common name');
    const caCert = new x509.X509Certificate(this.caCertPem);
    const caKey = await importKeyPem(this.caKeyPem);
    const now = this.now();
    const cert = await x509.X509CertificateGenerator.create({
      // Positive 127-bit serial (RFC 5280: at most 20 octets, positive).
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      subject: subjectName(subject),
      issuer: caCert.subject,
      publicKey,
      signingKey: caKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      notBefore: new Date(Math.min(backdated().getTime(), now.getTime() - 60_000)),
      notAfter: new Date(now.getTime() + validitySeconds * 1000),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ],
    });
    return cert.toString('pem');
  }
}

/** A DN with one CN and one O per group, built as data (no string escaping to get wrong). */
function subjectName(subject: CertificateSubject): x509.JsonName {
  return [{ CN: [subject.commonName] }, ...subject.organizations.map((o) => ({ O: [o] }))];
}
