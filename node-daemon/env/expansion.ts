/**
 * Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion), used for env values,
 * command, args and subPathExpr: `$(NAME)` is replaced by NAME's value when the mapping knows
 * it and left as written otherwise; `$$` is an escaped `$`; anything else is copied as is
 * (`$X`, an unclosed `$(`). Ported step for step so edge cases match the kubelet's.
 */

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

/** A name's value, or undefined when it has none (the reference is then kept). */
export type Mapping = (name: string) => string | undefined;

/** Looks names up in each map in turn (the first that has it wins), as `MappingFuncFor`. */
export function mappingFor(...maps: ReadonlyArray<Readonly<Record<string, string>> | ReadonlyMap<string, string>>): Mapping {
  return (name) => {
    for (const vars of maps) {
      if (vars instanceof Map) {
        if (vars.has(name)) return vars.get(name);
      } else if (Object.hasOwn(vars, name)) {
        return (vars as Record<string, string>)[name];
      }
    }
    return undefined;
  };
}

/** Expand every `$(NAME)` in `input` (see the module comment). */
export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== OPERATOR || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const { read, isVar, advance } = readVariableName(input.slice(cursor + 1));
    out += isVar ? (mapping(read) ?? `${OPERATOR}${OPENER}${read}${CLOSER}`) : read;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** What follows a `$`: a variable name, an escaped `$`, or text copied as is. */
function readVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  const first = input[0];
  if (first === OPERATOR) return { read: OPERATOR, isVar: false, advance: 1 };
  if (first === OPENER) {
    const close = input.indexOf(CLOSER, 1);
    if (close !== -1) return { read: input.slice(1, close), isVar: true, advance: close + 1 };
    // An unclosed reference: `$(` is copied and the rest scanned on.
    return { read: OPERATOR + OPENER, isVar: false, advance: 1 };
  }
  return { read: OPERATOR + (first ?? ''), isVar: false, advance: 1 };
}
