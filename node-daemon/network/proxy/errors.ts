/**
 * Named errors of the service proxy (branch on class or `code`, never on message text).
 */

/** The proxy's configuration cannot be rendered (bad table name, CIDR or mark). */
export class InvalidProxyConfigError extends Error {
  readonly code = 'InvalidProxyConfig';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`proxy config ${field}: ${message}`);
    this.name = 'InvalidProxyConfigError';
  }
}

/** `nft -f -` refused the rendered table; the previous table is still in force. */
export class NftApplyError extends Error {
  readonly code = 'NftApplyFailed';
  constructor(
    readonly table: string,
    readonly stderr: string,
  ) {
    super(`nft rejected table ${table} (previous rules kept): ${stderr.trim() || '(no stderr)'}`);
    this.name = 'NftApplyError';
  }
}

/** Preparing the host for forwarding (sysctls, DOCKER-USER rules) failed. */
export class HostSetupError extends Error {
  readonly code = 'HostSetupFailed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostSetupError';
  }
}

/** `sync()` after (or superseded by) `close()`. */
export class ProxyClosedError extends Error {
  readonly code = 'ProxyClosed';
  constructor(table: string) {
    super(`service proxy ${table} is closed`);
    this.name = 'ProxyClosedError';
  }
}
