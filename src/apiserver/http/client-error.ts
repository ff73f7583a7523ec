/**
 * Requests Node's HTTP parser refuses before any handler sees them (an unknown method such as
 * `FOO` or `get`, a malformed request line, oversized headers) still get a Kubernetes Status,
 * as everything else this server answers: Node's own answer is a bare `400 Bad Request` with no
 * body, which clients cannot read a reason from. kube-apiserver (Go) takes any method token and
 * answers 405 for those it does not serve; this server does the same.
 */
import type { Duplex } from 'node:stream';
import { ApiError } from '../../api/status.ts';

/** The Status a parser error deserves; undefined when the connection is gone (nothing to answer). */
export function clientErrorStatus(err: NodeJS.ErrnoException & { reason?: string }): ApiError | undefined {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    case 'HPE_INVALID_METHOD':
      return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError(431, 'BadRequest', 'the request headers are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError(408, 'Timeout', 'the request was not received in time');
    default:
      return ApiError.badRequest(`the request could not be parsed: ${err.code ?? 'malformed HTTP'}${err.reason ? ` (${err.reason})` : ''}`);
  }
}

/** The `clientError` handler: the Status written on the raw socket, then the connection closed. */
export function answerClientError(err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): void {
  const status = clientErrorStatus(err);
  if (!status || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(status.toStatus());
  const reason = status.code === 405 ? 'Method Not Allowed' : status.code === 431 ? 'Request Header Fields Too Large' : status.code === 408 ? 'Request Timeout' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
