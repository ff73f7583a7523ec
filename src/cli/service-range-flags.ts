/**
 * `--service-cluster-ip-range` and `--service-node-port-range` for `kactus up` and `kactus master`:
 * checked when the command line is parsed (commander reports a bad value), passed on as given.
 */
import { InvalidArgumentError } from 'commander';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE, parsePortRange, parseServiceCIDR } from '../registry/allocators/ranges.ts';
import { errorMessage } from '../api/error-message.ts';

export { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE };

function checked(parse: (value: string) => unknown): (value: string) => string {
  return (value) => {
    try {
      parse(value);
    } catch (err) {
      throw new InvalidArgumentError(errorMessage(err));
    }
    return value;
  };
}

/** An IPv4 CIDR with a /12 to /30 mask. */
export const serviceClusterIPRange = checked(parseServiceCIDR);

/** `MIN-MAX` within 1-65535. */
export const serviceNodePortRange = checked(parsePortRange);
