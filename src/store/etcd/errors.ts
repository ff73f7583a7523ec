/**
 * Maps etcd3's errors onto the Store's typed errors. etcd3 already classifies gRPC failures
 * into classes (by status code); this only branches on those classes, never on messages.
 */
import {
  castGrpcError,
  ClientClosedError,
  EtcdLeaseInvalidError,
  GRPCDeadlineExceededError,
  GRPCUnavailableError,
  isRecoverableError,
} from 'etcd3';
import { LeaseNotFoundError, StoreClosedError, StoreError, StoreUnavailableError } from '../errors.ts';
import { errorMessage } from '../../api/error-message.ts';

/** cockatiel's BrokenCircuitError (every endpoint's circuit open) marks itself with this flag. */
function isBrokenCircuit(err: object): boolean {
  return 'isBrokenCircuitError' in err && err.isBrokenCircuitError === true;
}

/** Stream errors reach us as raw gRPC errors; unary ones arrive already classified. */
function classify(err: unknown): unknown {
  return err instanceof Error ? castGrpcError(err) : err;
}

/** True for failures a retry on another member (or later) may cure. */
export function isUnavailable(raw: unknown): boolean {
  const err = classify(raw);
  if (!(err instanceof Error)) return false;
  return (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    isRecoverableError(err) ||
    isBrokenCircuit(err)
  );
}

/**
 * Translate an error thrown by etcd3 into a StoreError where one applies; anything else (a bug,
 * an invalid request) is returned unchanged. `lease` names the lease the call referred to.
 */
export function toStoreError(raw: unknown, lease?: number): unknown {
  const err = classify(raw);
  if (err instanceof StoreError) return err;
  if (err instanceof ClientClosedError) return new StoreClosedError();
  if (err instanceof EtcdLeaseInvalidError) return new LeaseNotFoundError(lease ?? 0);
  if (isUnavailable(err)) {
    const message = errorMessage(err);
    return new StoreUnavailableError(`etcd unavailable: ${message}`, err);
  }
  return err;
}
