import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientCertificateIssuer } from '../src/apiserver/client-certificates.ts';
import { loadOrCreatePki } from '../src/apiserver/pki.ts';
import { answerCertificateRequest } from '../src/master/node-credentials.ts';
import type { Envelope } from '../src/net/codec.ts';
import { checkMessage } from '../src/net/messages.ts';
import { CertificateClient, CertificateRefusedError, NodeCredentialFiles, renewIfDue } from './credentials.ts';

let dir: string;
let issuer: ClientCertificateIssuer;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-node-creds-'));
  const pki = await loadOrCreatePki(join(dir, 'master'));
  issuer = new ClientCertificateIssuer(pki.caCertPem, pki.caKeyPem);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An actor channel to a master that answers with the gateway's own function, for node `admittedAs`. */
function channelTo(admittedAs: string, signer: ClientCertificateIssuer | undefined, validitySeconds: number): CertificateClient {
  const client: CertificateClient = new CertificateClient((type, body) => {
    expect(type).toBe('certificate.request');
    void answerCertificateRequest(admittedAs, checkMessage('certificate.request', body), signer, validitySeconds).then((answer) => client.handle({ v: 1, type: answer.type, body: answer.body } as Envelope));
    return Promise.resolve();
  });
  return client;
}

describe('node credentials', () => {
  it('makes a key once (0600), keeps it across restarts, and saves what the master signs for it', async () => {
    const files = await NodeCredentialFiles.open(join(dir, 'node'), 'n1');
    expect((await stat(files.paths.key)).mode & 0o777).toBe(0o600);
    const key = await readFile(files.paths.key, 'utf8');
    expect(files.certificate).toBeUndefined();
    await files.save({ certificate: await issuer.signRequest(files.csr, { commonName: 'system:node:n1', organizations: ['system:nodes'] }, 3600), caCertPem: issuer.caCertificate });

    const again = await NodeCredentialFiles.open(join(dir, 'node'), 'n1');
    expect(await readFile(again.paths.key, 'utf8')).toBe(key);
    expect(again.certificate).toBe(files.certificate);
    // The request after a restart is for the same key: the certificate's public key is the key's.
    const renewed = new X509Certificate(await issuer.signRequest(again.csr, { commonName: 'x', organizations: [] }, 60));
    expect(renewed.publicKey.export({ format: 'pem', type: 'spki' })).toBe(new X509Certificate(files.certificate!).publicKey.export({ format: 'pem', type: 'spki' }));
  });

  it('renews past 80% of the lifetime over the actor channel, named as the master admitted the node', async () => {
    let now = Date.now();
    const files = await NodeCredentialFiles.open(join(dir, 'node'), 'n1', () => new Date(now));
    const client = channelTo('n1', issuer, 100);
    // No certificate yet: nothing to renew (the join brings the first one).
    expect(await renewIfDue(files, client)).toBe(false);
    await files.save(await client.request(files.csr));
    const first = new X509Certificate(files.certificate!);
    expect(first.subject).toBe('CN=system:node:n1\nO=system:nodes');
    const lifetime = Date.parse(first.validTo) - Date.parse(first.validFrom);

    now = Date.parse(first.validFrom) + lifetime * 0.7;
    expect(await renewIfDue(files, client)).toBe(false);
    now = Date.parse(first.validFrom) + lifetime * 0.85;
    expect(await renewIfDue(files, client)).toBe(true);
    expect(files.certificate).not.toBe(first.toString());
    expect(new X509Certificate(await readFile(files.paths.cert, 'utf8')).serialNumber).not.toBe(first.serialNumber);
  });

  it('a master that signs nothing refuses (503) and the old certificate stays', async () => {
    let now = Date.now();
    const files = await NodeCredentialFiles.open(join(dir, 'node'), 'n1', () => new Date(now));
    await files.save(await channelTo('n1', issuer, 100).request(files.csr));
    const before = files.certificate;
    now += 99_000;
    const err = await renewIfDue(files, channelTo('n1', undefined, 100)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateRefusedError);
    expect((err as CertificateRefusedError).code).toBe(503);
    expect(files.certificate).toBe(before);
  });

  it('fails a request when not connected, or when the channel drops', async () => {
    const offline = new CertificateClient(() => undefined);
    await expect(offline.request('csr')).rejects.toThrow('not connected to a master');
    const silent = new CertificateClient(() => Promise.resolve());
    const pending = silent.request('csr');
    silent.disconnected();
    await expect(pending).rejects.toThrow('the connection to the master was lost');
  });
});
