import { describe, expect, it } from 'vitest';
import { findResource } from './kinds.ts';
import { ApiError } from './status.ts';
import { checkFieldSelector, FieldSelector, fieldsOf, LabelSelector } from './selectors.ts';

const pods = findResource('', 'v1', 'pods')!;
const nodes = findResource('', 'v1', 'nodes')!;
const events = findResource('', 'v1', 'events')!;

function parseError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    return (err as ApiError).message;
  }
  throw new Error('expected a parse error');
}

describe('LabelSelector.parse', () => {
  it.each([
    ['', '', { a: 'b' }, true],
    ['a=b', 'a=b', { a: 'b' }, true],
    ['a==b', 'a==b', { a: 'c' }, false],
    ['a!=b', 'a!=b', {}, true],
    ['a!=b', 'a!=b', { a: 'b' }, false],
    ['e in (y,x)', 'e in (x,y)', { e: 'y' }, true],
    ['e in (x,y)', 'e in (x,y)', {}, false],
    ['f notin (z)', 'f notin (z)', {}, true],
    ['f notin (z)', 'f notin (z)', { f: 'z' }, false],
    ['g', 'g', { g: '' }, true],
    ['!h', '!h', { h: 'x' }, false],
    ['c=d, a=b', 'a=b,c=d', { a: 'b', c: 'd' }, true],
    ['x in (in)', 'x in (in)', { x: 'in' }, true],
    ['n>5', 'n>5', { n: '7' }, true],
    ['n<5', 'n<5', { n: '7' }, false],
    ['a=', 'a=', { a: '' }, true],
    ['app.kubernetes.io/name=web', 'app.kubernetes.io/name=web', { 'app.kubernetes.io/name': 'web' }, true],
  ])('%j -> %j', (text, canonical, labels, match) => {
    const sel = LabelSelector.parse(text);
    expect(sel.toString()).toBe(canonical);
    expect(sel.matches(labels)).toBe(match);
  });

  it.each([
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a in (x', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a,', "found '', expected: identifier after ','"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a (x)', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    [
      'a=b c',
      "found 'c', expected: ',' or 'end of string'",
    ],
    [
      'a=b$',
      'unable to parse requirement: values[0][a]: Invalid value: "b$": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')',
    ],
    [
      'b$d',
      'unable to parse requirement: <nil>: Invalid value: "b$d": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
    ],
  ])('%j fails with Kubernetes wording', (text, message) => {
    expect(parseError(() => LabelSelector.parse(text))).toBe(message);
  });
});

describe('LabelSelector.fromObject', () => {
  it('ANDs matchLabels and matchExpressions', () => {
    const sel = LabelSelector.fromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['fe', 'be'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'env', operator: 'Exists' },
        { key: 'zone', operator: 'NotIn', values: ['a'] },
      ],
    });
    expect(sel.toString()).toBe('app=web,!canary,env,tier in (be,fe),zone notin (a)');
    expect(sel.matches({ app: 'web', tier: 'fe', env: 'prod' })).toBe(true);
    expect(sel.matches({ app: 'web', tier: 'fe', env: 'prod', canary: '1' })).toBe(false);
    expect(sel.matches({ app: 'web', tier: 'fe', env: 'prod', zone: 'a' })).toBe(false);
  });

  it('null matches nothing, {} matches everything', () => {
    expect(LabelSelector.fromObject(null).matches({})).toBe(false);
    expect(LabelSelector.fromObject({}).matches({ any: 'x' })).toBe(true);
    expect(LabelSelector.fromObject({}).empty).toBe(true);
  });

  it('rejects unknown operators and empty In values', () => {
    expect(parseError(() => LabelSelector.fromObject({ matchExpressions: [{ key: 'a', operator: 'Like' }] }))).toBe(
      '"Like" is not a valid label selector operator',
    );
    expect(parseError(() => LabelSelector.fromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }))).toBe(
      "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty",
    );
  });

  it('fromSet gives the sorted exact-match form', () => {
    expect(LabelSelector.fromSet({ b: '2', a: '1' }).toString()).toBe('a=1,b=2');
  });
});

describe('FieldSelector', () => {
  it.each([
    ['metadata.name=x', { 'metadata.name': 'x' }, true],
    ['metadata.name==x', { 'metadata.name': 'y' }, false],
    ['status.phase!=Running', { 'status.phase': 'Pending' }, true],
    ['status.phase!=Running,spec.nodeName=n1', { 'status.phase': 'Pending', 'spec.nodeName': 'n1' }, true],
    ['spec.nodeName=', { 'spec.nodeName': '' }, true],
    ['metadata.name=a\\,b', { 'metadata.name': 'a,b' }, true],
  ])('%j', (text, fields, match) => {
    expect(FieldSelector.parse(text).matches(fields)).toBe(match);
  });

  it('prints sorted, escaped terms and exposes exact matches', () => {
    const sel = FieldSelector.parse('status.phase!=Running,metadata.name==a\\=b');
    expect(sel.toString()).toBe('metadata.name=a\\=b,status.phase!=Running');
    expect(sel.requiresExactMatch('metadata.name')).toBe('a=b');
    expect(sel.requiresExactMatch('status.phase')).toBeUndefined();
  });

  it('rejects terms without an operator', () => {
    expect(parseError(() => FieldSelector.parse('metadata.name'))).toBe("invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  });

  it('rejects unsupported field labels with Kubernetes wording', () => {
    expect(parseError(() => checkFieldSelector(pods, FieldSelector.parse('spec.foo=1')))).toBe('field label not supported: spec.foo');
    expect(() => checkFieldSelector(pods, FieldSelector.parse('spec.nodeName=n1,metadata.namespace=d'))).not.toThrow();
    expect(() => checkFieldSelector(nodes, FieldSelector.parse('metadata.namespace=d'))).toThrow(ApiError);
  });
});

describe('fieldsOf', () => {
  it('gives pod fields with Go zero values', () => {
    const fields = fieldsOf(pods, { metadata: { name: 'p', namespace: 'd' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } });
    expect(fields).toEqual({
      'metadata.name': 'p',
      'metadata.namespace': 'd',
      'spec.nodeName': 'n1',
      'spec.restartPolicy': '',
      'spec.schedulerName': '',
      'spec.serviceAccountName': '',
      'spec.hostNetwork': 'false',
      'status.phase': 'Running',
      'status.podIP': '',
      'status.nominatedNodeName': '',
    });
  });

  it('gives event fields', () => {
    const fields = fieldsOf(events, {
      metadata: { name: 'e', namespace: 'd' },
      involvedObject: { kind: 'Pod', name: 'p', uid: 'u' },
      reason: 'Started',
      source: { component: 'kubelet' },
      type: 'Normal',
    });
    expect(fields).toMatchObject({ 'involvedObject.kind': 'Pod', 'involvedObject.name': 'p', 'involvedObject.uid': 'u', reason: 'Started', source: 'kubelet', type: 'Normal' });
  });

  it('gives cluster-scoped kinds no namespace field', () => {
    expect(fieldsOf(nodes, { metadata: { name: 'n' }, spec: { unschedulable: true } })).toEqual({ 'metadata.name': 'n', 'spec.unschedulable': 'true' });
  });
});
