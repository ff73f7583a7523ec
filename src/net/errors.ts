/** Typed mesh errors: callers branch on the class, never on the message. */

/** A frame that is not a valid envelope; closes that one stream, never the daemon. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** The peer closed the stream before a complete frame arrived. */
export class StreamEndedError extends Error {
  constructor() {
    super('stream ended');
    this.name = 'StreamEndedError';
  }
}

/** A join was refused (bad token, unknown cluster). */
export class JoinRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`join refused: ${reason}`);
    this.name = 'JoinRefusedError';
  }
}

/** A peer that was never admitted tried to use a protocol that requires admission. */
export class PeerNotAdmittedError extends Error {
  constructor(readonly peerId: string) {
    super(`peer ${peerId} is not admitted`);
    this.name = 'PeerNotAdmittedError';
  }
}
