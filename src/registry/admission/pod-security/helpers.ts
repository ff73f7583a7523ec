/**
 * What the checks share (pod-security-admission's helpers.go and visitor.go): the containers of a
 * pod in Kubernetes' order, their security contexts, and the message helpers.
 */
import { isRecord } from '../../../api/object.ts';
import type { PodParts } from './types.ts';

export interface ContainerView {
  name: string;
  /** `securityContext`, {} when absent. */
  sc: Record<string, unknown>;
  /** Whether the container has a securityContext at all. */
  hasSc: boolean;
  raw: Record<string, unknown>;
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Init containers, then containers, then ephemeral containers, as Kubernetes visits them. */
export function containersOf(pod: PodParts): ContainerView[] {
  const { spec } = pod;
  return [...records(spec.initContainers), ...records(spec.containers), ...records(spec.ephemeralContainers)].map((c) => ({
    name: typeof c.name === 'string' ? c.name : '',
    sc: isRecord(c.securityContext) ? c.securityContext : {},
    hasSc: isRecord(c.securityContext),
    raw: c,
  }));
}

/** The pod-level `spec.securityContext`, {} when absent. */
export function podSecurityContext(pod: PodParts): Record<string, unknown> {
  return isRecord(pod.spec.securityContext) ? pod.spec.securityContext : {};
}

/** A nested record, or undefined. */
export function recordAt(obj: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = obj[key];
  return isRecord(v) ? v : undefined;
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function annotationsOf(pod: PodParts): Record<string, string> {
  const a = pod.metadata.annotations;
  if (!isRecord(a)) return {};
  return Object.fromEntries(Object.entries(a).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** `"a", "b"` */
export function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}

/** Distinct values in Go's sort order (byte order), as `sets.NewString(...).List()`. */
export function sortedSet(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(byteOrder);
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `container "a"` / `containers "a", "b"` */
export function containersPhrase(names: readonly string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}
