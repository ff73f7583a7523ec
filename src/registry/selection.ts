/**
 * A list or watch's label and field selectors compiled into one predicate over objects.
 * Parse errors and unsupported field labels are 400s (from src/api/selectors.ts).
 */
import type { ResourceInfo } from '../api/kinds.ts';
import type { KubeObject } from '../api/object.ts';
import { FieldSelector, LabelSelector, checkFieldSelector, fieldsOf } from '../api/selectors.ts';

export type ObjectPredicate = (obj: KubeObject) => boolean;

export function compileSelection(info: ResourceInfo, labelSelector?: string, fieldSelector?: string): ObjectPredicate {
  const labels = labelSelector ? LabelSelector.parse(labelSelector) : LabelSelector.everything();
  const fields = fieldSelector ? FieldSelector.parse(fieldSelector) : FieldSelector.everything();
  checkFieldSelector(info, fields);
  if (labels.empty && fields.empty) return () => true;
  return (obj) => labels.matches(obj.metadata?.labels) && fields.matches(fieldsOf(info, obj));
}
