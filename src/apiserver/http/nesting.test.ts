import { describe, expect, it } from 'vitest';
import { assertNestingWithin, assertYamlFlowNestingWithin, MAX_BODY_DEPTH } from './nesting.ts';
import { decodeJson, decodeObjectBody, decodeYaml } from './body.ts';

const nested = (depth: number): string => '{"a":'.repeat(depth - 1) + '[1]' + '}'.repeat(depth - 1);

describe('body nesting bound (found by the API fuzzer: 50,000 levels in a strategic merge patch were a stack overflow, a 500)', () => {
  it('counts arrays and objects alike, and measures any depth without recursing', () => {
    expect(() => assertNestingWithin(JSON.parse(nested(MAX_BODY_DEPTH)))).not.toThrow();
    expect(() => assertNestingWithin(JSON.parse(nested(MAX_BODY_DEPTH + 1)))).toThrow(expect.objectContaining({ code: 400, message: `the request body nests arrays and objects more than ${MAX_BODY_DEPTH} levels deep` }));
    expect(() => assertNestingWithin(JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)))).toThrow(/more than 500 levels/);
    expect(() => assertNestingWithin('scalar')).not.toThrow();
  });

  it('refuses deep YAML flow collections before parsing them (found by the API fuzzer: 100,000 levels held the event loop 2.4 s)', () => {
    const started = Date.now();
    expect(() => decodeYaml(`spec: ${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toThrow(/more than 500 levels/);
    expect(Date.now() - started).toBeLessThan(500);
    // Brackets in quotes and comments are text, not nesting.
    const quoted = `a: "${'['.repeat(600)}"\nb: '${'{'.repeat(600)}'\n# ${'['.repeat(600)}\nc: [1, [2]]\n`;
    expect(decodeYaml(quoted)).toEqual({ a: '['.repeat(600), b: '{'.repeat(600), c: [1, [2]] });
    expect(() => assertYamlFlowNestingWithin(`${'{a: '.repeat(501)}1${'}'.repeat(501)}`)).toThrow(/more than 500 levels/);
  });

  it('is applied to JSON and YAML bodies and to patches', () => {
    expect(() => decodeJson(nested(600))).toThrow(/more than 500 levels/);
    expect(() => decodeObjectBody('application/json', Buffer.from(`{"spec":${nested(600)}}`))).toThrow(/more than 500 levels/);
    expect(() => decodeObjectBody('application/yaml', Buffer.from(`spec: ${'['.repeat(600)}${']'.repeat(600)}`))).toThrow(expect.objectContaining({ code: 400 }));
  });
});
