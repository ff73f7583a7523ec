/** Kubernetes `Time`: RFC 3339 in UTC with second precision (`2024-01-01T00:00:00Z`). */
export function toKubernetesTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
