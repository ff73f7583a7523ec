/**
 * A node's API credentials: the client certificate `CN=system:node:<name>, O=system:nodes` the
 * master signs for the node's own key — at join (the join request's `csr`) and again when the node
 * renews it over its actor channel (`certificate.request`). The name is the one the node was
 * admitted as, never what its request says; the master keeps nothing (the key stays on the node).
 */
import { CertificateRequestError, NODE_CERT_VALIDITY_SECONDS, nodeSubject, type ClientCertificateIssuer } from '../apiserver/client-certificates.ts';
import type { CertificateIssued, CertificateRefused, CertificateRequest } from '../net/messages.ts';
import type { NodeCredentials } from '../net/join.ts';
import { errorMessage } from '../api/error-message.ts';

/** What the master signs node certificates with (the API server's `clientCertificates`). */
export type NodeCertificateSigner = Pick<ClientCertificateIssuer, 'signRequest' | 'caCertificate'>;

/** Node `nodeName`'s certificate for the key of `csr` (CertificateRequestError when it does not verify). */
export async function issueNodeCredentials(signer: NodeCertificateSigner, nodeName: string, csr: string, validitySeconds = NODE_CERT_VALIDITY_SECONDS): Promise<NodeCredentials> {
  return { certificate: await signer.signRequest(csr, nodeSubject(nodeName), validitySeconds), caCertPem: signer.caCertificate };
}

/** The answer to a node's `certificate.request`: issued, or refused (400 a bad request, 503 no signer, 500 otherwise). */
export async function answerCertificateRequest(
  nodeName: string,
  req: CertificateRequest,
  signer: NodeCertificateSigner | undefined,
  validitySeconds?: number,
): Promise<{ type: 'certificate.issued'; body: CertificateIssued } | { type: 'certificate.refused'; body: CertificateRefused }> {
  if (!signer) return { type: 'certificate.refused', body: { id: req.id, code: 503, message: 'this master issues no node certificates' } };
  try {
    const creds = await issueNodeCredentials(signer, nodeName, req.csr, validitySeconds);
    return { type: 'certificate.issued', body: { id: req.id, certificate: creds.certificate, caCertPem: creds.caCertPem } };
  } catch (err) {
    const code = err instanceof CertificateRequestError ? 400 : 500;
    return { type: 'certificate.refused', body: { id: req.id, code, message: errorMessage(err) } };
  }
}
