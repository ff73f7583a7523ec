import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../field.ts';
import { findResource } from '../kinds.ts';
import { validateObject } from '../validation.ts';

const SERVICES = findResource('', 'v1', 'services')!;

describe('Service validation of values that are objects', () => {
  // Found by test/security/fuzz-api.test.ts: a port object with a `toString` key was a 500.
  it('answers a port that is an object carrying a toString key with a field error, not a throw', async () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'default' },
      spec: { type: { toString: 1 }, ports: [{ port: { toString: { a: 1 } }, protocol: { valueOf: 2 }, targetPort: 8080 }] },
    };
    const errors = (await validateObject(SERVICES, obj, { strict: true })).map(fieldErrorString);
    expect(errors.some((e) => e.startsWith('spec.ports[0].port'))).toBe(true);
  });
});
