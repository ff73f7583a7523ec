/**
 * The `stdin` of an ExecProcess, for every runtime that runs commands: writes are forwarded (with
 * the target's back-pressure) and ending it calls the runtime's own way of signalling EOF. Once
 * the command has stopped reading (the pipe or connection is closed), writes are dropped, as a
 * closed pipe's would be, instead of erroring a stream the caller may not listen to.
 */
import { Writable } from 'node:stream';

export function execStdin(target: Writable, sendEof: () => void): Writable {
  // A write to a pipe whose reader is gone errors (EPIPE): that is "stopped reading", not a failure.
  target.on('error', () => {});
  const open = () => target.writable && !target.destroyed;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!open()) return callback();
      target.write(chunk, () => callback());
    },
    final(callback) {
      if (open()) sendEof();
      callback();
    },
  });
}
