/**
 * Usage as metrics-server writes it: Kubernetes' canonical quantity form. CPU is a decimal
 * quantity of nanocores (`12m` when whole millicores, else `123456n`, `2` for whole cores);
 * memory a binary one (`1234Ki`, `5Mi`, or plain bytes when not a multiple of 1024).
 */

const DECIMAL: readonly [number, string][] = [
  [1e9, ''],
  [1e6, 'm'],
  [1e3, 'u'],
];

const BINARY: readonly [bigint, string][] = [
  [1n << 60n, 'Ei'],
  [1n << 50n, 'Pi'],
  [1n << 40n, 'Ti'],
  [1n << 30n, 'Gi'],
  [1n << 20n, 'Mi'],
  [1n << 10n, 'Ki'],
];

/** `nanoCores` (rounded to a whole nanocore) as a CPU quantity. */
export function formatCpu(nanoCores: number): string {
  const n = Math.max(0, Math.round(nanoCores));
  if (n === 0) return '0';
  for (const [unit, suffix] of DECIMAL) if (n % unit === 0) return `${n / unit}${suffix}`;
  return `${n}n`;
}

/** `bytes` (rounded to a whole byte) as a memory quantity. */
export function formatMemory(bytes: number): string {
  const b = BigInt(Math.max(0, Math.round(bytes)));
  if (b === 0n) return '0';
  for (const [unit, suffix] of BINARY) if (b % unit === 0n) return `${b / unit}${suffix}`;
  return b.toString();
}
