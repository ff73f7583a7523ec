/** `describe configmap`: each key and its value under a Data heading, as kubectl prints them. */
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { DescribeWriter } from './writer.ts';

export function describeConfigMap(w: DescribeWriter, cm: ConfigMap): void {
  w.text(0, '');
  w.text(0, 'Data');
  w.text(0, '====');
  for (const [key, value] of Object.entries(cm.data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    w.text(0, `${key}:`);
    w.text(0, '----');
    for (const line of value.split('\n')) w.text(0, line);
    w.text(0, '');
  }
  w.text(0, '');
  w.text(0, 'BinaryData');
  w.text(0, '====');
  for (const [key, value] of Object.entries(cm.binaryData ?? {})) w.text(0, `${key}: ${Buffer.from(value, 'base64').length} bytes`);
  w.text(0, '');
}
