/**
 * CidrSet: the pod CIDRs of one cluster CIDR, as Kubernetes' nodeipam cidrset: the cluster CIDR
 * (e.g. 10.244.0.0/16) cut into blocks of `maskSize` bits (/24), each either free or occupied,
 * handed out in order from where the last one was (so a released block is not reused at once).
 * IPv4 only, as the rest of kactus' network.
 */
import { InvalidCidrError, numberToIPv4 as fromNumber, parseIPv4Cidr as parseCidr } from '../../api/ipv4.ts';

export class CidrSet {
  private readonly base: number;
  private readonly blockSize: number;
  readonly capacity: number;
  private readonly used = new Set<number>();
  private next = 0;

  constructor(
    readonly clusterCidr: string,
    readonly maskSize: number,
  ) {
    const [base, bits] = parseCidr(clusterCidr);
    if (!Number.isInteger(maskSize) || maskSize < bits || maskSize > 30) {
      throw new InvalidCidrError(clusterCidr, `node mask size ${maskSize} must be between ${bits} and 30`);
    }
    if (maskSize - bits > 16) throw new InvalidCidrError(clusterCidr, `more than 65536 node blocks of /${maskSize}`);
    this.base = base;
    this.blockSize = 2 ** (32 - maskSize);
    this.capacity = 2 ** (maskSize - bits);
  }

  get allocated(): number {
    return this.used.size;
  }

  /** The next free block, or undefined when all are taken. */
  allocateNext(): string | undefined {
    for (let i = 0; i < this.capacity; i++) {
      const index = (this.next + i) % this.capacity;
      if (this.used.has(index)) continue;
      this.used.add(index);
      this.next = (index + 1) % this.capacity;
      return this.cidrAt(index);
    }
    return undefined;
  }

  /** Mark `cidr` taken (a node already has it); false when it is not one of this set's blocks. */
  occupy(cidr: string): boolean {
    const index = this.indexOf(cidr);
    if (index === undefined) return false;
    this.used.add(index);
    return true;
  }

  release(cidr: string): void {
    const index = this.indexOf(cidr);
    if (index !== undefined) this.used.delete(index);
  }

  private cidrAt(index: number): string {
    return `${fromNumber(this.base + index * this.blockSize)}/${this.maskSize}`;
  }

  private indexOf(cidr: string): number | undefined {
    let value: number;
    let bits: number;
    try {
      [value, bits] = parseCidr(cidr);
    } catch {
      return undefined;
    }
    if (bits !== this.maskSize) return undefined;
    const offset = value - this.base;
    if (offset < 0 || offset % this.blockSize !== 0) return undefined;
    const index = offset / this.blockSize;
    return index < this.capacity ? index : undefined;
  }
}
