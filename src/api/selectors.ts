/**
 * Label and field selectors, parsed and matched as Kubernetes does
 * (`k8s.io/apimachinery/pkg/labels`, `.../fields`). Parse errors are `ApiError` 400s carrying
 * Kubernetes' own message, since the API server returns them as-is.
 */
import { ApiError } from './status.ts';
import { invalid, fieldErrorString } from './field.ts';
import type { ResourceInfo } from './kinds.ts';
import { isRecord, optionalRecord, type KubeObject } from './object.ts';
import { isQualifiedName, isValidLabelValue } from './validation/names.ts';

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** The object form of a selector, as in `spec.selector` of a Deployment. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

/** A parsed label selector: requirements ANDed, sorted by key as Kubernetes sorts them. */
export class LabelSelector {
  private constructor(
    readonly requirements: readonly LabelRequirement[],
    /** The selector a null `LabelSelectorObject` converts to: it matches nothing. */
    readonly matchesNothing = false,
  ) {}

  /** Matches every object. */
  static everything(): LabelSelector {
    return new LabelSelector([]);
  }

  /** Matches no object. */
  static nothing(): LabelSelector {
    return new LabelSelector([], true);
  }

  /** `a=b,c!=d,e in (x,y),f notin (z),g,!h`; throws ApiError 400 with Kubernetes' message. */
  static parse(text: string): LabelSelector {
    return new LabelSelector(sortByKey(new LabelParser(text).parse()));
  }

  /** Exact-match selector from a label map (a Service's or ReplicationController's `selector`). */
  static fromSet(set: Record<string, string> | null | undefined): LabelSelector {
    return new LabelSelector(sortByKey(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] }))));
  }

  /**
   * `LabelSelectorAsSelector`: null/undefined matches nothing, `{}` matches everything.
   * Throws ApiError 400 for an unknown operator or a malformed requirement.
   */
  static fromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
    if (sel === null || sel === undefined) return LabelSelector.nothing();
    const reqs: LabelRequirement[] = [];
    for (const [key, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(key, '=', [v]));
    for (const expr of sel.matchExpressions ?? []) {
      const op = EXPRESSION_OPERATORS[expr.operator];
      if (!op) throw ApiError.badRequest(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
      reqs.push(newRequirement(expr.key, op, expr.values ?? []));
    }
    return new LabelSelector(sortByKey(reqs));
  }

  /** True when the selector places no restriction (matches everything). */
  get empty(): boolean {
    return !this.matchesNothing && this.requirements.length === 0;
  }

  matches(labels: Record<string, string> | null | undefined): boolean {
    if (this.matchesNothing) return false;
    const ls = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, ls));
  }

  /** The canonical string form (`a=b,c in (x,y)`), as `kubectl` and Kubernetes print it. */
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

const EXPRESSION_OPERATORS: Record<string, LabelOperator | undefined> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

function sortByKey(reqs: LabelRequirement[]): LabelRequirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[-+]?\d+$/.test(value)) return false;
      const lhs = Number(value);
      const rhs = Number(r.values[0]);
      return r.operator === 'gt' ? lhs > rhs : lhs < rhs;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${values})`;
    case 'notin':
      return `${r.key} notin (${values})`;
    case 'gt':
      return `${r.key}>${values}`;
    case 'lt':
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

/** `NewRequirement`: validates key, value count and values; throws ApiError 400. */
function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs = [];
  const keyMsgs = isQualifiedName(key);
  if (keyMsgs.length) errs.push(invalid('key', key, keyMsgs.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalid('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalid('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalid('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (!/^[-+]?\d+$/.test(v)) errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length) errs.push(invalid(`values[${i}][${key}]`, v, msgs.join('; ')));
  });
  if (errs.length) {
    const text = errs.map(fieldErrorString);
    throw ApiError.badRequest(text.length === 1 ? text[0] : `[${text.join(', ')}]`);
  }
  return { key, operator, values };
}

type Token = 'id' | 'end' | 'error' | ')' | ',' | '!' | '==' | '=' | '>' | 'in' | '<' | '!=' | 'notin' | '(';

interface Scanned {
  tok: Token;
  lit: string;
}

const SYMBOLS: Record<string, Token | undefined> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

/** A port of Kubernetes' label selector lexer + recursive-descent parser, messages included. */
class LabelParser {
  private items: Scanned[] = [];
  private position = 0;

  constructor(private readonly text: string) {}

  parse(): LabelRequirement[] {
    this.scan();
    const reqs: LabelRequirement[] = [];
    while (true) {
      const { tok, lit } = this.lookahead(true);
      switch (tok) {
        case 'id':
        case '!': {
          reqs.push(this.parseRequirement());
          const next = this.consume(true);
          if (next.tok === 'end') return reqs;
          if (next.tok === ',') {
            const after = this.lookahead(true);
            if (after.tok !== 'id' && after.tok !== '!') this.fail(`found '${after.lit}', expected: identifier after ','`);
            break;
          }
          this.fail(`found '${next.lit}', expected: ',' or 'end of string'`);
          break;
        }
        case 'end':
          return reqs;
        default:
          this.fail(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private fail(message: string): never {
    throw ApiError.badRequest(message);
  }

  private scan(): void {
    let pos = 0;
    const s = this.text;
    while (true) {
      while (pos < s.length && WHITESPACE.has(s[pos])) pos++;
      if (pos >= s.length) {
        this.items.push({ tok: 'end', lit: '' });
        return;
      }
      if (SPECIAL.has(s[pos])) {
        let buffer = '';
        let last: Scanned | undefined;
        while (pos < s.length && SPECIAL.has(s[pos])) {
          buffer += s[pos];
          const tok = SYMBOLS[buffer];
          if (tok) {
            last = { tok, lit: buffer };
            pos++;
          } else if (last) {
            break;
          } else {
            pos++;
          }
        }
        this.items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      } else {
        let buffer = '';
        while (pos < s.length && !SPECIAL.has(s[pos]) && !WHITESPACE.has(s[pos])) buffer += s[pos++];
        const tok = SYMBOLS[buffer];
        this.items.push({ tok: tok === 'in' || tok === 'notin' ? tok : 'id', lit: buffer });
      }
    }
  }

  /** In value position, `in` and `notin` are plain identifiers. */
  private lookahead(values: boolean): Scanned {
    return asValue(this.items[this.position], values);
  }

  private consume(values: boolean): Scanned {
    return asValue(this.items[this.position++], values);
  }

  private parseRequirement(): LabelRequirement {
    try {
      return this.parseRequirementInner();
    } catch (err) {
      if (err instanceof ApiError) throw ApiError.badRequest(`unable to parse requirement: ${err.message}`);
      throw err;
    }
  }

  private parseRequirementInner(): LabelRequirement {
    let negated = false;
    let { tok, lit } = this.consume(true);
    if (tok === '!') {
      negated = true;
      ({ tok, lit } = this.consume(true));
    }
    if (tok !== 'id') this.fail(`found '${lit}', expected: identifier`);
    const keyMsgs = isQualifiedName(lit);
    if (keyMsgs.length) this.fail(`<nil>: Invalid value: ${JSON.stringify(lit)}: ${keyMsgs.join('; ')}`);
    const key = lit;
    // `!key` is complete by itself; a trailing operator (`!a=b`) then fails in parse().
    if (negated) return newRequirement(key, '!', []);
    const next = this.lookahead(true).tok;
    if (next === 'end' || next === ',') return newRequirement(key, 'exists', []);
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, values);
  }

  private parseOperator(): LabelOperator {
    const { tok, lit } = this.consume(false);
    switch (tok) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        return this.fail(`found '${lit}', expected: ${BINARY_OPERATORS}`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') this.fail(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    if (tok === 'id' || tok === ',') {
      const values = this.parseIdentifiersList();
      if (this.consume(true).tok !== ')') this.fail(`found '${lit}', expected: ')'`);
      return values;
    }
    if (tok === ')') {
      this.consume(true);
      return [''];
    }
    return this.fail(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): string[] {
    const set = new Set<string>();
    while (true) {
      const { tok, lit } = this.consume(true);
      if (tok === 'id') {
        set.add(lit);
        const next = this.lookahead(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') return [...set].sort();
        this.fail(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === ',') {
        if (set.size === 0) set.add('');
        const next = this.lookahead(true).tok;
        if (next === ')' || next === ',') {
          set.add('');
          if (next === ')') return [...set].sort();
        }
      } else {
        this.fail(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const next = this.lookahead(true).tok;
    if (next === 'end' || next === ',') return [''];
    const { tok, lit } = this.consume(true);
    if (tok === 'id') return [lit];
    return this.fail(`found '${lit}', expected: identifier`);
  }
}

function asValue(item: Scanned, values: boolean): Scanned {
  return values && (item.tok === 'in' || item.tok === 'notin') ? { tok: 'id', lit: item.lit } : item;
}

// ---------------------------------------------------------------------------------------------
// Field selectors

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

/** A parsed field selector (`metadata.name=x,status.phase!=Running`), terms ANDed. */
export class FieldSelector {
  private constructor(readonly requirements: readonly FieldRequirement[]) {}

  static everything(): FieldSelector {
    return new FieldSelector([]);
  }

  /** Throws ApiError 400 with Kubernetes' message for a term it cannot read. */
  static parse(text: string): FieldSelector {
    const terms = splitTerms(text).sort();
    const reqs: FieldRequirement[] = [];
    for (const term of terms) {
      if (term === '') continue;
      const split = splitTerm(term);
      if (!split) throw ApiError.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
      reqs.push({ field: split.field, operator: split.operator, value: unescapeFieldValue(split.value) });
    }
    return new FieldSelector(reqs);
  }

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  /** `fields` as given by `fieldsOf`. A field missing there compares as ''. */
  matches(fields: Record<string, string>): boolean {
    return this.requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator !== '!='));
  }

  /** The value a `field=value` term pins, if any (lets a server turn `metadata.name=x` into a get). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator !== '!=')?.value;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** Splits on commas not escaped by a backslash. */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[++i];
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms;
}

function splitTerm(term: string): { field: string; operator: FieldOperator; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i), operator: op, value: term.slice(i + op.length) };
    }
  }
  return undefined;
}

function unescapeFieldValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') {
        throw ApiError.badRequest(`invalid field selector: invalid escape sequence: ${value.slice(i, i + 2)}`);
      }
      out += next;
      i++;
    } else if (ch === ',' || ch === '=') {
      throw ApiError.badRequest(`invalid field selector: unescaped character '${ch}' in value ${JSON.stringify(value)}`);
    } else {
      out += ch;
    }
  }
  return out;
}

function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

type FieldGetter = (obj: KubeObject) => string;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function at(obj: KubeObject, ...path: string[]): unknown {
  let node: unknown = obj;
  for (const p of path) node = isRecord(node) ? node[p] : undefined;
  return node;
}

const text = (...path: string[]): FieldGetter => (obj) => str(at(obj, ...path));
const bool = (...path: string[]): FieldGetter => (obj) => String(at(obj, ...path) === true);
const int = (...path: string[]): FieldGetter => (obj) => {
  const v = at(obj, ...path);
  return typeof v === 'number' ? String(v) : '0';
};

function objectReferenceFields(prefix: string, from: string): Record<string, FieldGetter> {
  const out: Record<string, FieldGetter> = {};
  for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) out[`${prefix}.${f}`] = text(from, f);
  return out;
}

/** Per-kind fields beyond metadata.name/namespace, as each Kubernetes registry strategy exposes them. */
const KIND_FIELDS: Record<string, Record<string, FieldGetter>> = {
  '/Pod': {
    'spec.nodeName': text('spec', 'nodeName'),
    'spec.restartPolicy': text('spec', 'restartPolicy'),
    'spec.schedulerName': text('spec', 'schedulerName'),
    'spec.serviceAccountName': text('spec', 'serviceAccountName'),
    'spec.hostNetwork': bool('spec', 'hostNetwork'),
    'status.phase': text('status', 'phase'),
    'status.podIP': text('status', 'podIP'),
    'status.nominatedNodeName': text('status', 'nominatedNodeName'),
  },
  '/Event': {
    ...objectReferenceFields('involvedObject', 'involvedObject'),
    reason: text('reason'),
    reportingComponent: text('reportingComponent'),
    source: text('source', 'component'),
    type: text('type'),
  },
  'events.k8s.io/Event': {
    ...objectReferenceFields('regarding', 'regarding'),
    reason: text('reason'),
    reportingController: text('reportingController'),
    type: text('type'),
  },
  '/Secret': { type: text('type') },
  '/Node': { 'spec.unschedulable': bool('spec', 'unschedulable') },
  '/Namespace': { 'status.phase': text('status', 'phase') },
  '/Service': { 'spec.clusterIP': text('spec', 'clusterIP'), 'spec.type': text('spec', 'type') },
  '/ReplicationController': { 'status.replicas': int('status', 'replicas') },
  'apps/ReplicaSet': { 'status.replicas': int('status', 'replicas') },
  'batch/Job': { 'status.successful': int('status', 'succeeded') },
};

/** The field names a kind supports in field selectors. */
export function supportedFields(info: ResourceInfo): string[] {
  const base = info.namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'];
  return [...base, ...Object.keys(KIND_FIELDS[`${info.group}/${info.kind}`] ?? {})];
}

/** The selectable fields of `obj` with their string values (booleans as "true"/"false"). */
export function fieldsOf(info: ResourceInfo, obj: KubeObject): Record<string, string> {
  const meta = optionalRecord(obj, 'metadata');
  const out: Record<string, string> = { 'metadata.name': str(meta?.name) };
  if (info.namespaced) out['metadata.namespace'] = str(meta?.namespace);
  for (const [field, get] of Object.entries(KIND_FIELDS[`${info.group}/${info.kind}`] ?? {})) out[field] = get(obj);
  return out;
}

/** Throws ApiError 400 `field label not supported: X` for a field the kind does not expose. */
export function checkFieldSelector(info: ResourceInfo, selector: FieldSelector): void {
  const supported = new Set(supportedFields(info));
  for (const r of selector.requirements) {
    if (!supported.has(r.field)) throw ApiError.badRequest(`field label not supported: ${r.field}`);
  }
}
