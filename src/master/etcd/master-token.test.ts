import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caCertHash, formatMasterJoinToken, masterJoinTokenSecret, parseMasterJoinToken } from './master-token.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('master join tokens (K10<CA hash>::<id>.<secret>, as k3s)', () => {
  it('carries the SHA-256 of the CA PEM as stored and the bootstrap token, and parses back', () => {
    const text = formatMasterJoinToken(PEM, 'abcdef.0123456789abcdef');
    const hash = createHash('sha256').update(PEM).digest('hex');
    expect(text).toBe(`K10${hash}::abcdef.0123456789abcdef`);
    expect(caCertHash(PEM)).toBe(hash);
    expect(parseMasterJoinToken(`  ${text}\n`)).toEqual({ caHash: hash, credentials: 'abcdef.0123456789abcdef' });
  });

  it('rejects a node token, a short hash and malformed credentials', () => {
    expect(parseMasterJoinToken('abcdef.0123456789abcdef')).toBeUndefined();
    expect(parseMasterJoinToken(`K10${'a'.repeat(63)}::abcdef.0123456789abcdef`)).toBeUndefined();
    expect(parseMasterJoinToken(`K10${'a'.repeat(64)}::abcdef.0123`)).toBeUndefined();
    expect(parseMasterJoinToken(`K10${'a'.repeat(64)}::server:password`)).toBeUndefined();
  });

  it('is a bootstrap-token Secret with the kactus-master-join usage only; TTL 0 never expires', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const { secret, credentials } = masterJoinTokenSecret(now, 0);
    const data = secret.data as Record<string, string>;
    const text = (k: string) => Buffer.from(data[k]!, 'base64').toString();
    expect(secret.type).toBe('bootstrap.kubernetes.io/token');
    expect(secret.metadata?.name).toBe(`bootstrap-token-${credentials.slice(0, 6)}`);
    expect(text('token-secret')).toBe(credentials.slice(7));
    expect(text('usage-bootstrap-kactus-master-join')).toBe('true');
    expect(data['usage-bootstrap-authentication']).toBeUndefined();
    expect(data.expiration).toBeUndefined();
    const timed = masterJoinTokenSecret(now, 3600).secret.data as Record<string, string>;
    expect(Buffer.from(timed.expiration!, 'base64').toString()).toBe('2030-01-01T01:00:00Z');
  });
});
