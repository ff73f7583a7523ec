/**
 * The contract between who mints ServiceAccount tokens (the masters: src/registry's token issuer,
 * also behind `POST …/serviceaccounts/{name}/token`, authentication.k8s.io/v1 TokenRequest) and who
 * asks for them (a node daemon projecting a `serviceAccountToken` into a pod's volume, through its
 * gateway). A token is a JWT the API server authenticates as
 * `system:serviceaccount:<namespace>:<name>`, bound to the pod when one is named (deleting the pod
 * makes it invalid, as Kubernetes' bound tokens).
 */
export interface ServiceAccountTokenRequest {
  namespace: string;
  serviceAccountName: string;
  /** Default: the API server's own audience. */
  audiences?: string[];
  /** Default 3600; Kubernetes' minimum 600. */
  expirationSeconds?: number;
  /** The pod the token is bound to (its name and uid). */
  boundPod?: { name: string; uid: string };
}

export interface IssuedServiceAccountToken {
  token: string;
  /** RFC 3339. */
  expirationTimestamp: string;
  /** The cluster CA a pod verifies the API server with (`ca.crt` of the projected volume). */
  caCertPem: string;
}

export interface ServiceAccountTokenIssuer {
  /** Fails (a Kubernetes Status error) when the ServiceAccount or the bound pod does not exist. */
  issue(request: ServiceAccountTokenRequest): Promise<IssuedServiceAccountToken>;
}
