import { describe, expect, it } from 'vitest';
import { policyFromLabels } from './policy.ts';

describe('policyFromLabels', () => {
  it('is privileged:latest for every mode without labels', () => {
    expect(policyFromLabels(undefined)).toEqual({ policy: { enforce: { level: 'privileged', version: 'latest' }, audit: { level: 'privileged', version: 'latest' }, warn: { level: 'privileged', version: 'latest' } }, errors: [] });
  });

  it('reads each mode and version', () => {
    const { policy, errors } = policyFromLabels({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.25', 'pod-security.kubernetes.io/warn': 'restricted', 'other/label': 'x' });
    expect(errors).toEqual([]);
    expect(policy).toEqual({ enforce: { level: 'baseline', version: 25 }, audit: { level: 'privileged', version: 'latest' }, warn: { level: 'restricted', version: 'latest' } });
  });

  it('fails closed for enforce and open for warn and audit, naming each bad label', () => {
    const { policy, errors } = policyFromLabels({ 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/warn': 'nope', 'pod-security.kubernetes.io/audit-version': '1.25' });
    expect(policy.enforce.level).toBe('restricted');
    expect(policy.warn.level).toBe('privileged');
    expect(policy.audit.version).toBe('latest');
    expect(errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "1.25": must be "latest" or "v1.x"',
      'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "nope": must be one of privileged, baseline, restricted',
    ]);
  });
});
