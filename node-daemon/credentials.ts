/**
 * The node's API credentials: an ECDSA P-256 key made once and kept in `<data dir>/pki/node.key`
 * (mode 0600), and the client certificate the master signs for it — `CN=system:node:<name>,
 * O=system:nodes` — with the cluster CA, in `node.crt` and `ca.crt`. The key never leaves the
 * node: the join request carries a PKCS#10 request for it, and so does every renewal.
 *
 * Renewal (as the kubelet's certificate manager, which rotates at 70–90% of the lifetime): once
 * 80% of the certificate's life has passed, `certificate.request` goes up the actor channel; the
 * master signs a new certificate for the node it admitted this peer as. A refused or unanswered
 * request is asked again at the next check; the old certificate stays until a new one arrives.
 */
import { mkdir } from 'node:fs/promises';
import { readOptional, writeFileAtomic } from '../src/os/files.ts';
import { join } from 'node:path';
import { certificateValidity, createKeyAndRequest, requestForKey } from '../src/net/certificate-requests.ts';
import { NODE_USER_PREFIX } from '../src/api/user.ts';
import type { Envelope } from '../src/net/codec.ts';
import type { NodeCredentials } from '../src/net/join.ts';
import { checkMessage } from '../src/net/messages.ts';

/** Past this share of its lifetime a certificate is renewed. */
export const RENEW_AT_FRACTION = 0.8;
/** How long a renewal waits for the master's answer. */
export const CERTIFICATE_REQUEST_TIMEOUT_MS = 10_000;

const FILES = { key: 'node.key', cert: 'node.crt', ca: 'ca.crt' } as const;

/** The master refused a renewal (400 a request that does not verify, 503 it signs none). */
export class CertificateRefusedError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'CertificateRefusedError';
  }
}



export class NodeCredentialFiles {
  private constructor(
    readonly dir: string,
    /** A request for the node's key, ready for the next join or renewal. */
    readonly csr: string,
    private cert: string | undefined,
    private readonly now: () => Date,
  ) {}

  /** Loads the key from `<dataDir>/pki` (making one the first time) and the certificate, if any. */
  static async open(dataDir: string, nodeName: string, now: () => Date = () => new Date()): Promise<NodeCredentialFiles> {
    const dir = join(dataDir, 'pki');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyPath = join(dir, FILES.key);
    const commonName = `${NODE_USER_PREFIX}${nodeName}`;
    let keyPem = await readOptional(keyPath);
    let csr: string;
    if (keyPem === undefined) {
      ({ keyPem, csrPem: csr } = await createKeyAndRequest(commonName));
      await writeFileAtomic(keyPath, keyPem, 0o600);
    } else {
      csr = await requestForKey(keyPem, commonName);
    }
    return new NodeCredentialFiles(dir, csr, await readOptional(join(dir, FILES.cert)), now);
  }

  /** Paths of the key, the certificate and the CA (what a kubeconfig for this node would name). */
  get paths(): { key: string; cert: string; ca: string } {
    return { key: join(this.dir, FILES.key), cert: join(this.dir, FILES.cert), ca: join(this.dir, FILES.ca) };
  }

  /** The current certificate (PEM), if the master signed one. */
  get certificate(): string | undefined {
    return this.cert;
  }

  /** Keeps a certificate the master signed (at join or renewal). */
  async save(creds: NodeCredentials): Promise<void> {
    await writeFileAtomic(join(this.dir, FILES.ca), creds.caCertPem, 0o644);
    await writeFileAtomic(join(this.dir, FILES.cert), creds.certificate, 0o644);
    this.cert = creds.certificate;
  }

  /** True when 80% of the certificate's life has passed (without one there is nothing to renew: the next join brings it). */
  dueForRenewal(): boolean {
    if (this.cert === undefined) return false;
    const { notBefore, notAfter } = certificateValidity(this.cert);
    const renewAt = notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) * RENEW_AT_FRACTION;
    return this.now().getTime() >= renewAt;
  }
}

interface Pending {
  resolve(creds: NodeCredentials): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** The node's end of `certificate.request`: answers matched by id, a timeout, failed on reconnect. */
export class CertificateClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly send: (type: string, body: unknown) => Promise<void> | undefined,
    private readonly timeoutMs = CERTIFICATE_REQUEST_TIMEOUT_MS,
  ) {}

  request(csr: string): Promise<NodeCredentials> {
    const id = this.nextId++;
    return new Promise<NodeCredentials>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new Error(`no answer from the master within ${this.timeoutMs / 1000}s`)), this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const sent = this.send('certificate.request', { id, csr });
      if (!sent) this.settle(id, new Error('not connected to a master'));
      else sent.catch((err: unknown) => this.settle(id, err instanceof Error ? err : new Error(String(err))));
    });
  }

  /** True when `env` answered a certificate request (malformed: FrameError). */
  handle(env: Envelope): boolean {
    if (env.type === 'certificate.issued') {
      const b = checkMessage('certificate.issued', env.body);
      this.settle(b.id, undefined, { certificate: b.certificate, caCertPem: b.caCertPem });
      return true;
    }
    if (env.type === 'certificate.refused') {
      const b = checkMessage('certificate.refused', env.body);
      this.settle(b.id, new CertificateRefusedError(b.code, b.message));
      return true;
    }
    return false;
  }

  disconnected(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, new Error('the connection to the master was lost'));
  }

  private settle(id: number, err: Error | undefined, creds?: NodeCredentials): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(creds!);
  }
}

/** Renews the certificate when due; one attempt at a time. Resolves true when a new one was saved. */
export async function renewIfDue(files: NodeCredentialFiles, client: CertificateClient): Promise<boolean> {
  if (!files.dueForRenewal()) return false;
  await files.save(await client.request(files.csr));
  return true;
}
