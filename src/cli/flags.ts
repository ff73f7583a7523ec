/** Small commander helpers shared by verbs. Parsers throw InvalidArgumentError, which commander reports. */
import { InvalidArgumentError } from 'commander';

/** Accumulates a repeatable option (`-f a -f b`) into a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Parses a comma-separated list (`a,b`), at least one item. */
export function commaList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError('at least one value is needed');
  return list;
}

/** Parses an integer flag value. */
export function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return n;
}

/** Parses kubectl's `--flag=true|false` booleans. */
export function boolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`"${value}" is not true or false`);
}

/** Parses a duration (`30s`, `2m`, `1h`, `500ms`, or plain seconds) into milliseconds. */
export function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration such as 30s or 2m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}
