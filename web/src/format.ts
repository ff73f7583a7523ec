/** Kubernetes quantities and times as people read them. */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A resource quantity (`500m`, `2`, `128Mi`, `1e3`) as a number of base units; NaN when unreadable. */
export function parseQuantity(q: string | number | undefined): number {
  if (typeof q === 'number') return q;
  if (q === undefined) return NaN;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return NaN;
  const value = Number(m[1]);
  const suffix = m[2]!;
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  return factor === undefined ? NaN : value * factor;
}

/** CPU cores: `0.25` → `250m`, `2` → `2`. */
export function formatCpu(cores: number): string {
  if (!Number.isFinite(cores)) return '–';
  return cores < 1 ? `${Math.round(cores * 1000)}m` : `${Number(cores.toFixed(2))}`;
}

/** Bytes in binary units: `1.5Gi`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toFixed(1))}${units[i]}`;
}

/** Age as kubectl prints it: `42s`, `5m`, `3h`, `2d`. */
export function formatAge(since: string | undefined, now = Date.now()): string {
  if (!since) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** A percentage of `part` in `whole`, or '' when either is unknown. */
export function percent(part: number, whole: number): string {
  return Number.isFinite(part) && Number.isFinite(whole) && whole > 0 ? `${Math.round((part / whole) * 100)}%` : '';
}
