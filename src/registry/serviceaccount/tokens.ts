/**
 * ServiceAccount tokens as Kubernetes' bound tokens: ES256 JWTs signed with the cluster's shared
 * key (signing-key.ts), with Kubernetes' claims — `iss`, `sub` = `system:serviceaccount:<ns>:<name>`,
 * `aud`, `exp`, `iat`, `nbf`, `jti`, and `kubernetes.io` {namespace, serviceaccount {name, uid},
 * pod|secret {name, uid}, node {name, uid}, warnafter} (pkg/serviceaccount/claims.go).
 *
 * Three ways in: `issue` (the contract of src/api/service-account-token.ts: a node daemon asking
 * for a pod's projected token), `createTokenRequest` (`POST …/serviceaccounts/{name}/token`,
 * authentication.k8s.io/v1 TokenRequest: `kubectl create token`), and `authenticate` (the API
 * server's bearer-token check: a valid token of an existing account — and, when bound, of an
 * existing pod, secret or node with the same uid — is the user
 * `system:serviceaccount:<ns>:<name>` in groups `system:serviceaccounts`,
 * `system:serviceaccounts:<ns>` and `system:authenticated`; anything else is not ours).
 */
import { randomUUID } from 'node:crypto';
import { findResource, type ResourceInfo } from '../../api/kinds.ts';
import { rfc3339Seconds } from '../../api/metadata.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { invalid, tooLong, type FieldError } from '../../api/field.ts';
import type { IssuedServiceAccountToken, ServiceAccountTokenIssuer, ServiceAccountTokenRequest } from '../../api/service-account-token.ts';
import type { Registry } from '../registry.ts';
import { looksLikeJwt, signJwt, verifyJwt } from './jwt.ts';
import { sharedSigningKey, type SigningKey } from './signing-key.ts';

/** kubeadm's issuer and the API server's audience: what in-cluster clients expect. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** TokenRequest's default lifetime (SetDefaults_TokenRequestSpec). */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** Kubernetes' WarnOnlyBoundTokenExpirationSeconds: a projected token asks for this much… */
const WARN_ONLY_EXPIRATION_SECONDS = 3607;
/** …and is quietly valid a year (`--service-account-extend-token-expiration`), warning after the hour. */
const EXTENDED_EXPIRATION_SECONDS = 365 * 24 * 3600;
/** go-jose's DefaultLeeway: clock skew forgiven on exp/nbf/iat, and on deletions. */
const LEEWAY_SECONDS = 60;

const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const PODS = findResource('', 'v1', 'pods')!;
const SECRETS = findResource('', 'v1', 'secrets')!;
const NODES = findResource('', 'v1', 'nodes')!;
/** For Invalid messages: `TokenRequest.authentication.k8s.io "" is invalid: …`. */
const TOKEN_REQUEST_KIND = { group: 'authentication.k8s.io', kind: 'TokenRequest' };
export const TOKEN_REQUEST_API_VERSION = 'authentication.k8s.io/v1';

/** Extra keys Kubernetes puts on a ServiceAccount user (k8s.io/apiserver/pkg/authentication/serviceaccount). */
export const USER_EXTRA = {
  podName: 'authentication.kubernetes.io/pod-name',
  podUID: 'authentication.kubernetes.io/pod-uid',
  nodeName: 'authentication.kubernetes.io/node-name',
  nodeUID: 'authentication.kubernetes.io/node-uid',
  credentialID: 'authentication.kubernetes.io/credential-id',
} as const;

/** The user a valid token stands for. */
export interface ServiceAccountUser {
  name: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

interface Ref {
  name: string;
  uid: string;
}

/** The private claims (`kubernetes.io`). */
interface KubernetesClaims {
  namespace: string;
  serviceaccount: Ref;
  pod?: Ref;
  secret?: Ref;
  node?: Ref;
  warnafter?: number;
}

export interface ServiceAccountTokensOptions {
  registry: Registry;
  /** The cluster CA, handed out with every issued token (the projected volume's `ca.crt`). */
  caCertPem: string;
  /** `iss` of new tokens and the only one accepted (default DEFAULT_ISSUER). */
  issuer?: string;
  /** The API server's audiences: the default `aud`, and what a token must name one of (default [issuer]). */
  audiences?: string[];
  now?: () => Date;
}

/** What a token is minted for, after the request's checks. */
interface Grant {
  namespace: string;
  serviceAccountName: string;
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef?: { kind: string; apiVersion?: string; name: string; uid?: string };
}

const SUPPORTED_BOUND_KINDS = ['Pod', 'Secret', 'Node'];

export class ServiceAccountTokens implements ServiceAccountTokenIssuer {
  readonly issuer: string;
  readonly audiences: string[];

  private constructor(
    private readonly opts: ServiceAccountTokensOptions,
    private readonly key: SigningKey,
  ) {
    this.issuer = opts.issuer ?? DEFAULT_ISSUER;
    this.audiences = opts.audiences ?? [this.issuer];
  }

  /** Loads (or makes and publishes) the cluster's signing key. */
  static async start(opts: ServiceAccountTokensOptions): Promise<ServiceAccountTokens> {
    return new ServiceAccountTokens(opts, await sharedSigningKey(opts.registry));
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** The contract's issue (a node asking for a pod's projected token). */
  async issue(req: ServiceAccountTokenRequest): Promise<IssuedServiceAccountToken> {
    const expirationSeconds = req.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    const errors = validateExpiration(expirationSeconds);
    if (errors.length) throw ApiError.invalid(TOKEN_REQUEST_KIND, '', errors);
    const { token, expirationTimestamp } = await this.mint({
      namespace: req.namespace,
      serviceAccountName: req.serviceAccountName,
      audiences: req.audiences?.length ? req.audiences : this.audiences,
      expirationSeconds,
      ...(req.boundPod ? { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: req.boundPod.name, uid: req.boundPod.uid } } : {}),
    });
    return { token, expirationTimestamp, caCertPem: this.opts.caCertPem };
  }

  /**
   * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`: the TokenRequest answered
   * (201), as Kubernetes' TokenREST.Create.
   */
  async createTokenRequest(namespace: string, name: string, body: KubeObject): Promise<KubeObject> {
    if (body.apiVersion !== undefined && body.apiVersion !== TOKEN_REQUEST_API_VERSION) {
      throw ApiError.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${TOKEN_REQUEST_API_VERSION})`);
    }
    if (body.kind !== undefined && body.kind !== 'TokenRequest') throw ApiError.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (TokenRequest)`);
    const meta = body.metadata ?? {};
    if (meta.name && meta.name !== name) throw ApiError.invalid(TOKEN_REQUEST_KIND, name, [invalid('metadata.name', meta.name, 'must match the service account name if specified')]);
    if (meta.namespace && meta.namespace !== namespace) {
      throw ApiError.invalid(TOKEN_REQUEST_KIND, name, [invalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified')]);
    }
    const spec = isRecord(body.spec) ? body.spec : {};
    const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.filter((a): a is string => typeof a === 'string') : this.audiences;
    const expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : DEFAULT_EXPIRATION_SECONDS;
    // The account first (404 before anything about the request itself), as Kubernetes.
    await this.opts.registry.get(SERVICE_ACCOUNTS, namespace, name);
    const errors = validateExpiration(expirationSeconds);
    if (errors.length) throw ApiError.invalid(TOKEN_REQUEST_KIND, '', errors);
    const ref = isRecord(spec.boundObjectRef) ? spec.boundObjectRef : undefined;
    const boundObjectRef = ref
      ? {
          kind: typeof ref.kind === 'string' ? ref.kind : '',
          ...(typeof ref.apiVersion === 'string' && ref.apiVersion ? { apiVersion: ref.apiVersion } : {}),
          name: typeof ref.name === 'string' ? ref.name : '',
          ...(typeof ref.uid === 'string' && ref.uid ? { uid: ref.uid } : {}),
        }
      : undefined;
    const created = this.now();
    const { token, expirationTimestamp } = await this.mint({ namespace, serviceAccountName: name, audiences, expirationSeconds, ...(boundObjectRef ? { boundObjectRef } : {}) });
    return {
      kind: 'TokenRequest',
      apiVersion: TOKEN_REQUEST_API_VERSION,
      metadata: { name, namespace, creationTimestamp: rfc3339Seconds(created) },
      spec: { audiences, expirationSeconds, boundObjectRef: boundObjectRef ?? null },
      status: { token, expirationTimestamp },
    };
  }

  private async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.opts.registry.get(info, namespace, name);
  }

  /** Checks the bound object, then signs. */
  private async mint(grant: Grant): Promise<{ token: string; expirationTimestamp: string }> {
    const { namespace, serviceAccountName } = grant;
    const account = await this.get(SERVICE_ACCOUNTS, namespace, serviceAccountName);
    const claims: KubernetesClaims = { namespace, serviceaccount: { name: serviceAccountName, uid: account.metadata?.uid ?? '' } };
    const ref = grant.boundObjectRef;
    if (ref) {
      const group = ref.apiVersion?.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
      if (group !== '' || !SUPPORTED_BOUND_KINDS.includes(ref.kind)) {
        throw ApiError.badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${ref.kind}`);
      }
      let uid: string;
      if (ref.kind === 'Pod') {
        const pod = await this.get(PODS, namespace, ref.name);
        const podSpec = isRecord(pod.spec) ? pod.spec : {};
        if (podSpec.serviceAccountName !== serviceAccountName) {
          throw ApiError.badRequest(`cannot bind token for serviceaccount ${JSON.stringify(serviceAccountName)} to pod running with different serviceaccount name.`);
        }
        uid = pod.metadata?.uid ?? '';
        claims.pod = { name: ref.name, uid };
        // The node the pod runs on, as Kubernetes adds it (its uid when the Node exists).
        if (typeof podSpec.nodeName === 'string' && podSpec.nodeName !== '') {
          claims.node = { name: podSpec.nodeName, uid: await this.get(NODES, undefined, podSpec.nodeName).then((n) => n.metadata?.uid ?? '', () => '') };
        }
      } else if (ref.kind === 'Secret') {
        uid = (await this.get(SECRETS, namespace, ref.name)).metadata?.uid ?? '';
        claims.secret = { name: ref.name, uid };
      } else {
        uid = (await this.get(NODES, undefined, ref.name)).metadata?.uid ?? '';
        claims.node = { name: ref.name, uid };
      }
      if (ref.uid && ref.uid !== uid) {
        throw ApiError.conflict(
          { group: '', resource: ref.kind },
          ref.name,
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        );
      }
    }
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    let exp = grant.expirationSeconds;
    // A projected token (pod-bound, the warn-only lifetime, for the API server) is valid a year and warns after the hour.
    if (claims.pod && exp === WARN_ONLY_EXPIRATION_SECONDS && grant.audiences.every((a) => this.audiences.includes(a))) {
      claims.warnafter = nowSeconds + exp;
      exp = EXTENDED_EXPIRATION_SECONDS;
    }
    const payload = {
      aud: grant.audiences,
      exp: nowSeconds + exp,
      iat: nowSeconds,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': claims,
      nbf: nowSeconds,
      sub: serviceAccountUsername(namespace, serviceAccountName),
    };
    return {
      token: signJwt(payload, this.key.privateKey, this.key.kid),
      expirationTimestamp: rfc3339Seconds(new Date((nowSeconds + grant.expirationSeconds) * 1000)),
    };
  }

  /** The user of a valid token of ours, or undefined (not ours, expired, or its account or bound object gone). */
  async authenticate(token: string): Promise<ServiceAccountUser | undefined> {
    if (!looksLikeJwt(token)) return undefined;
    const payload = verifyJwt(token, this.key.publicKey);
    if (!payload || payload.iss !== this.issuer) return undefined;
    const aud = Array.isArray(payload.aud) ? payload.aud : typeof payload.aud === 'string' ? [payload.aud] : [];
    if (!aud.some((a) => this.audiences.includes(a as string))) return undefined;
    const now = this.now().getTime() / 1000;
    const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
    const exp = num(payload.exp);
    if (exp === undefined || now - LEEWAY_SECONDS > exp) return undefined;
    if ((num(payload.nbf) ?? 0) > now + LEEWAY_SECONDS || (num(payload.iat) ?? 0) > now + LEEWAY_SECONDS) return undefined;
    const k = isRecord(payload['kubernetes.io']) ? payload['kubernetes.io'] : undefined;
    const namespace = typeof k?.namespace === 'string' ? k.namespace : undefined;
    const sa = refOf(k?.serviceaccount);
    if (!namespace || !sa) return undefined;
    // Deleted before now-leeway is gone; a bound object whose uid changed was recreated: the token no longer stands.
    const stillThere = async (info: ResourceInfo, ns: string | undefined, ref: Ref): Promise<boolean> => {
      try {
        const obj = await this.get(info, ns, ref.name);
        if (obj.metadata?.uid !== ref.uid) return false;
        const deleted = obj.metadata?.deletionTimestamp ? Date.parse(obj.metadata.deletionTimestamp) / 1000 : undefined;
        return deleted === undefined || deleted >= now - LEEWAY_SECONDS;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return false;
        throw err;
      }
    };
    if (!(await stillThere(SERVICE_ACCOUNTS, namespace, sa))) return undefined;
    const pod = refOf(k?.pod);
    const secret = refOf(k?.secret);
    const node = refOf(k?.node);
    if (secret && !(await stillThere(SECRETS, namespace, secret))) return undefined;
    if (pod && !(await stillThere(PODS, namespace, pod))) return undefined;
    if (node && !pod && !(await stillThere(NODES, undefined, node))) return undefined;
    const extra: Record<string, string[]> = {};
    if (pod) {
      extra[USER_EXTRA.podName] = [pod.name];
      extra[USER_EXTRA.podUID] = [pod.uid];
    }
    if (node) {
      extra[USER_EXTRA.nodeName] = [node.name];
      if (node.uid) extra[USER_EXTRA.nodeUID] = [node.uid];
    }
    if (typeof payload.jti === 'string' && payload.jti) extra[USER_EXTRA.credentialID] = [`JTI=${payload.jti}`];
    return {
      name: serviceAccountUsername(namespace, sa.name),
      uid: sa.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      extra,
    };
  }
}

function refOf(v: unknown): Ref | undefined {
  if (!isRecord(v) || typeof v.name !== 'string' || v.name === '') return undefined;
  return { name: v.name, uid: typeof v.uid === 'string' ? v.uid : '' };
}

/** ValidateTokenRequest: at least 10 minutes, at most 2^32 seconds. */
function validateExpiration(seconds: number): FieldError[] {
  if (seconds < MIN_EXPIRATION_SECONDS) return [invalid('spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes')];
  if (seconds > MAX_EXPIRATION_SECONDS) return [{ ...tooLong('spec.expirationSeconds', MAX_EXPIRATION_SECONDS), message: 'may not specify a duration larger than 2^32 seconds' }];
  return [];
}
