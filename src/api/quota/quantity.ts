/**
 * Kubernetes' `resource.Quantity` as exact arithmetic: quota sums and LimitRange bounds must not
 * drift (0.1 + 0.2 cores is 300m, not 0.30000000000000004), and messages print quantities the
 * way Kubernetes does (`1536Mi`, `500m`, `1k`), so the value is kept in nano units as a bigint
 * together with the format it was written in (apimachinery's `Format`).
 *
 * Canonical form (apimachinery `CanonicalizeBytes`): zero is `0`; a decimal quantity is its
 * mantissa with trailing zeros folded into an exponent that is a multiple of 3 (`1000` → `1k`,
 * `1500` stays, `0.5` → `500m`); a binary one is a whole number divided by 1024 as often as it
 * goes (`1.5Gi` → `1536Mi`), but shown decimal when it is below 1024 or not whole.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const NANO = 1_000_000_000n;

const DECIMAL_SUFFIX_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const EXPONENT_DECIMAL_SUFFIX = new Map<number, string>(Object.entries(DECIMAL_SUFFIX_EXPONENT).map(([s, e]) => [e, s]));
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** `<sign><digits>[.<digits>]<suffix>`; the suffix is checked separately (`E` is exa, `E2` an exponent). */
const NUMBER_RE = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT_RE = /^[eE]([+-]?\d+)$/;

/** Why a string is not a quantity, in apimachinery's words. */
export class QuantityParseError extends Error {
  constructor(readonly input: string) {
    super('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
    this.name = 'QuantityParseError';
  }
}

function pow(base: bigint, exp: number): bigint {
  let out = 1n;
  for (let i = 0; i < exp; i++) out *= base;
  return out;
}

/** Divides rounding away from zero (Kubernetes rounds sub-nano precision up). */
function divideUp(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d === 0n ? q : n > 0n ? q + 1n : q - 1n;
}

export class Quantity {
  private constructor(
    /** The value in nano units (1 = 1n, 1e9 = 1). */
    readonly nanos: bigint,
    readonly format: QuantityFormat,
  ) {}

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, format);
  }

  /** A whole number (a count), DecimalSI as apimachinery's `NewQuantity(n, DecimalSI)`. */
  static fromInt(n: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(n) * NANO, format);
  }

  /** Milli units (CPU), DecimalSI. */
  static fromMilli(n: number | bigint): Quantity {
    return new Quantity(BigInt(n) * 1_000_000n, 'DecimalSI');
  }

  /** Parses `500m`, `1.5Gi`, `2e3`, or a JSON number; throws QuantityParseError. */
  static parse(input: unknown): Quantity {
    if (typeof input === 'number') {
      if (!Number.isFinite(input)) throw new QuantityParseError(String(input));
      return Quantity.parse(Number.isInteger(input) ? String(input) : input.toString());
    }
    if (typeof input !== 'string') throw new QuantityParseError(String(input));
    const text = input.trim();
    const m = NUMBER_RE.exec(text);
    if (!m || text === '') throw new QuantityParseError(input);
    const [, sign, whole = '', fraction = '', suffix = ''] = m;
    if (whole === '' && fraction === '') throw new QuantityParseError(input);
    let format: QuantityFormat;
    let multiplier: bigint;
    let decimalExponent = 0;
    const binary = BINARY_SUFFIXES.indexOf(suffix);
    const exponent = EXPONENT_RE.exec(suffix);
    if (suffix !== '' && binary > 0) {
      format = 'BinarySI';
      multiplier = pow(1024n, binary);
    } else if (suffix in DECIMAL_SUFFIX_EXPONENT) {
      format = 'DecimalSI';
      multiplier = 1n;
      decimalExponent = DECIMAL_SUFFIX_EXPONENT[suffix]!;
    } else if (exponent) {
      format = 'DecimalExponent';
      multiplier = 1n;
      decimalExponent = Number(exponent[1]);
    } else {
      throw new QuantityParseError(input);
    }
    // digits × 10^(decimalExponent - fraction digits) × multiplier, in nanos (× 10^9).
    const digits = BigInt(`${whole}${fraction}` || '0') * multiplier;
    const shift = decimalExponent - fraction.length + 9;
    let nanos = shift >= 0 ? digits * pow(10n, shift) : divideUp(digits, pow(10n, -shift));
    if (sign === '-') nanos = -nanos;
    // A binary quantity below one cannot be written in binary form (apimachinery switches it to DecimalSI).
    if (format === 'BinarySI' && nanos !== 0n && nanos < NANO && nanos > -NANO) format = 'DecimalSI';
    return new Quantity(nanos, format);
  }

  /** Parses, or undefined when `input` is not a quantity. */
  static tryParse(input: unknown): Quantity | undefined {
    try {
      return Quantity.parse(input);
    } catch {
      return undefined;
    }
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nanos === 0n ? 0 : this.nanos > 0n ? 1 : -1;
  }

  /** -1, 0 or 1 as `this` is less than, equal to or greater than `other`. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos === other.nanos ? 0 : this.nanos < other.nanos ? -1 : 1;
  }

  /** apimachinery's Add: the format is the receiver's, or `other`'s when the receiver is zero. */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** The value as a JavaScript number in base units (cores, bytes): for ratios and display only. */
  toNumber(): number {
    return Number(this.nanos) / 1e9;
  }

  /** The canonical string Kubernetes serializes and prints. */
  toString(): string {
    if (this.nanos === 0n) return '0';
    const whole = this.nanos % NANO === 0n;
    if (this.format === 'BinarySI' && whole && (this.nanos >= 1024n * NANO || this.nanos <= -1024n * NANO)) {
      let value = this.nanos / NANO;
      let exp = 0;
      while (value % 1024n === 0n && exp < BINARY_SUFFIXES.length - 1) {
        value /= 1024n;
        exp++;
      }
      return `${value}${BINARY_SUFFIXES[exp]}`;
    }
    let mantissa = this.nanos;
    let exp = -9;
    while (mantissa % 10n === 0n) {
      mantissa /= 10n;
      exp++;
    }
    const over = ((exp % 3) + 3) % 3;
    mantissa *= pow(10n, over);
    exp -= over;
    if (this.format === 'DecimalExponent') return exp === 0 ? `${mantissa}` : `${mantissa}e${exp}`;
    const suffix = EXPONENT_DECIMAL_SUFFIX.get(exp);
    return suffix === undefined ? `${mantissa}e${exp}` : `${mantissa}${suffix}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
