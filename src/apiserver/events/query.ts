/**
 * The query of `GET /kactus/v1/events`: filters, resume index and format (README.md). A bad
 * parameter is a StreamQueryError whose message names it: the stream closes with 4400 and that reason.
 */
import { LabelSelector } from '../../api/selectors.ts';
import { ApiError } from '../../api/status.ts';

export type StreamFormat = 'json' | 'msgpack' | 'stately';
const FORMATS: readonly StreamFormat[] = ['json', 'msgpack', 'stately'];

export interface StreamQuery {
  /** Absent: every kind. */
  kinds?: ReadonlySet<string>;
  namespaces?: ReadonlySet<string>;
  names?: ReadonlySet<string>;
  /** Absent: every object. */
  selector?: LabelSelector;
  /** Resume after this index (no snapshot). */
  index?: number;
  format: StreamFormat;
}

export class StreamQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamQueryError';
  }
}

/** Repeated parameters and comma-separated values, as Kubernetes takes lists; empty values ignored. */
function list(params: URLSearchParams, name: string): ReadonlySet<string> | undefined {
  const values = params.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return values.length === 0 ? undefined : new Set(values);
}

/** Close reasons travel in a close frame: at most 123 bytes. */
function reason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : `${Buffer.from(text).subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '')}...`;
}

export function parseStreamQuery(params: URLSearchParams): StreamQuery {
  const query: StreamQuery = { format: 'json' };
  const kinds = list(params, 'kind');
  const namespaces = list(params, 'namespace');
  const names = list(params, 'name');
  if (kinds) query.kinds = kinds;
  if (namespaces) query.namespaces = namespaces;
  if (names) query.names = names;

  const selectors = params.getAll('labelSelector').filter((s) => s.trim() !== '');
  if (selectors.length > 1) throw new StreamQueryError('labelSelector: give one selector (requirements separated by commas)');
  if (selectors.length === 1) {
    try {
      const selector = LabelSelector.parse(selectors[0]!);
      if (!selector.empty) query.selector = selector;
    } catch (err) {
      throw new StreamQueryError(reason(`labelSelector: ${err instanceof ApiError ? err.message : String(err)}`));
    }
  }

  const index = params.get('index');
  if (index !== null && index !== '') {
    const n = Number(index);
    if (!/^\d+$/.test(index) || !Number.isSafeInteger(n)) throw new StreamQueryError(reason(`index: "${index}" is not a non-negative integer`));
    query.index = n;
  }

  const format = params.get('format');
  if (format !== null && format !== '') {
    if (!(FORMATS as readonly string[]).includes(format)) throw new StreamQueryError(reason(`format: "${format}" is not one of ${FORMATS.join(', ')}`));
    query.format = format as StreamFormat;
  }
  return query;
}
