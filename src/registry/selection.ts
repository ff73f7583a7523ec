/**
 * A list or watch's label and field selectors compiled into one predicate over objects.
 * Parse errors and unsupported field labels are 400s (from src/api/selectors.ts).
 */
import type { ResourceInfo } from '../api/kinds.ts';
import type { KubeObject } from '../api/object.ts';
import { FieldSelector, LabelSelector, checkFieldSelector, fieldsOf } from '../api/selectors.ts';
import { ApiError } from '../api/status.ts';

export type ObjectPredicate = (obj: KubeObject) => boolean;

export function compileSelection(info: ResourceInfo, labelSelector?: string, fieldSelector?: string): ObjectPredicate {
  const labels = labelSelector ? parseNamed('labelSelector', labelSelector, LabelSelector.parse) : LabelSelector.everything();
  const fields = fieldSelector ? parseNamed('fieldSelector', fieldSelector, FieldSelector.parse) : FieldSelector.everything();
  checkFieldSelector(info, fields);
  if (labels.empty && fields.empty) return () => true;
  return (obj) => labels.matches(obj.metadata?.labels) && fields.matches(fieldsOf(info, obj));
}

/**
 * A selector parsed, its 400 saying which parameter was wrong: the parser's own messages
 * (Kubernetes' wording: `found '=', expected: !, identifier, or 'end of string'`) name neither.
 */
function parseNamed<T>(param: 'labelSelector' | 'fieldSelector', text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof ApiError && err.code === 400) throw ApiError.badRequest(`unable to parse ${param} ${JSON.stringify(text)}: ${err.message}`);
    throw err;
  }
}
