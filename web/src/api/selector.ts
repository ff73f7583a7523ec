/** A LabelSelector object (`spec.selector` of workloads) as the string the API's `labelSelector` takes. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selectorString(sel: LabelSelector | Record<string, string> | undefined): string | undefined {
  if (!sel) return undefined;
  // A Service's / ReplicationController's selector is a plain map.
  const isObject = 'matchLabels' in sel || 'matchExpressions' in sel;
  const labels = (isObject ? (sel as LabelSelector).matchLabels : (sel as Record<string, string>)) ?? {};
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  for (const e of (isObject ? (sel as LabelSelector).matchExpressions : undefined) ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length > 0 ? parts.join(',') : undefined;
}
