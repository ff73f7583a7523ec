/**
 * The master's answer to a node's `token.request` (a projected `serviceAccountToken` volume):
 * a ServiceAccount token from the injected issuer, but only for a pod bound to the asking node
 * and for the ServiceAccount that pod runs as, as Kubernetes' NodeRestriction admission allows
 * a kubelet. Without an issuer every request is refused as unavailable (503).
 */
import { isRecord, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import type { ServiceAccountTokenIssuer } from '../api/service-account-token.ts';
import type { TokenIssued, TokenRefused, TokenRequest } from '../net/messages.ts';
import { errorMessage } from '../api/error-message.ts';

export interface PodTokenDeps {
  /** Pods bound to the node, as the gateway's informer has them. */
  podsOn(nodeName: string): KubeObject[];
  issuer?: ServiceAccountTokenIssuer;
}

/** `token.issued` or `token.refused` for request `req` of node `nodeName`. */
export async function answerTokenRequest(nodeName: string, req: TokenRequest, deps: PodTokenDeps): Promise<{ type: 'token.issued'; body: TokenIssued } | { type: 'token.refused'; body: TokenRefused }> {
  const refuse = (code: number, message: string) => ({ type: 'token.refused' as const, body: { id: req.id, code, message } });
  if (!deps.issuer) return refuse(503, 'unavailable: this master has no ServiceAccount token issuer');
  const pod = deps.podsOn(nodeName).find((p) => p.metadata?.uid === req.boundPod.uid);
  if (!pod || pod.metadata?.name !== req.boundPod.name || pod.metadata?.namespace !== req.namespace) {
    return refuse(403, `node "${nodeName}" requested token bound to a pod scheduled on a different node`);
  }
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const serviceAccount = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '' ? spec.serviceAccountName : 'default';
  if (serviceAccount !== req.serviceAccountName) {
    return refuse(403, `node "${nodeName}" requested token for service account "${req.serviceAccountName}", but pod ${req.namespace}/${req.boundPod.name} runs as "${serviceAccount}"`);
  }
  try {
    const issued = await deps.issuer.issue({
      namespace: req.namespace,
      serviceAccountName: req.serviceAccountName,
      ...(req.audiences ? { audiences: req.audiences } : {}),
      ...(req.expirationSeconds === undefined ? {} : { expirationSeconds: req.expirationSeconds }),
      boundPod: req.boundPod,
    });
    return { type: 'token.issued', body: { id: req.id, token: issued.token, expirationTimestamp: issued.expirationTimestamp, caCertPem: issued.caCertPem } };
  } catch (err) {
    return refuse(err instanceof ApiError ? err.code : 500, errorMessage(err));
  }
}
