/**
 * A bound on how deeply a request body may nest. JSON.parse reads any depth, but what comes after
 * it does not: structured clones, strategic merge, apply and validation recurse, and a body some
 * thousands of levels deep overflowed the stack (a 500, found by the API fuzzer). No Kubernetes
 * object nests past a few dozen levels; Go's decoder stops at 10,000, which this runtime's stack
 * does not reach through its recursive steps, so the bound here is lower.
 */
import { ApiError } from '../../api/status.ts';

/** Deepest nesting of arrays and objects a body may have. */
export const MAX_BODY_DEPTH = 500;

/** Throws a 400 when `value` nests deeper than `MAX_BODY_DEPTH`; iterative, so any depth is measured safely. */
export function assertNestingWithin(value: unknown, limit = MAX_BODY_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) throw ApiError.badRequest(`the request body nests arrays and objects more than ${limit} levels deep`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
}

/**
 * The same bound, measured on YAML text before parsing it: the YAML parser recurses and takes
 * seconds on flow collections nested some 100,000 deep (`[[[[…]]]]`), holding the event loop for
 * every other request (found by the API fuzzer). Counts `[`/`{` outside quotes and comments;
 * block-style nesting needs indentation per level, so a body within the size limit cannot nest
 * it deep enough to matter.
 */
export function assertYamlFlowNestingWithin(text: string, limit = MAX_BODY_DEPTH): void {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
    } else if (ch === '[' || ch === '{') {
      if (++depth > limit) throw ApiError.badRequest(`the request body nests arrays and objects more than ${limit} levels deep`);
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
}
