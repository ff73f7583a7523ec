"""A delay line for Ethernet frames, for kernels without sch_netem (see delay-line.ts).

Usage: delay-line.py TAP_A TAP_B DELAY_MS JITTER_MS   (or: delay-line.py --probe TAP)

Opens two TAP devices in the current network namespace and moves every frame read from one to
the other after DELAY_MS ± JITTER_MS (uniform, as netem's jitter without a distribution). Frames
keep their order per direction (a frame never leaves before the one ahead of it), as netem does
without reordering. Prints "ready" once both devices exist; exits on SIGTERM or when stdin closes
(the test process that started it is gone), and the kernel removes the devices with their last fd.
The devices have no offloads (no IFF_VNET_HDR), so the kernel hands over whole, checksummed
frames of at most the MTU, and frames written back need nothing more. Runs on Debian bookworm's
python3 (3.11): standard library only.
"""
import collections
import fcntl
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA  # _IOW('T', 202, int)
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000  # frames without the 4-byte packet-information header


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


class Direction:
    """Frames read from `src`, each held until its due time, then written to `dst`."""

    def __init__(self, src, dst):
        self.src, self.dst = src, dst
        self.queue = collections.deque()  # (due, frame), due non-decreasing
        self.last_due = 0.0


def main():
    if sys.argv[1] == "--probe":
        open_tap(sys.argv[2])
        return
    a, b = open_tap(sys.argv[1]), open_tap(sys.argv[2])
    delay, jitter = float(sys.argv[3]) / 1000, float(sys.argv[4]) / 1000
    directions = {a: Direction(a, b), b: Direction(b, a)}
    print("ready", flush=True)
    while True:
        now = time.monotonic()
        for d in directions.values():
            while d.queue and d.queue[0][0] <= now:
                frame = d.queue.popleft()[1]
                try:
                    os.write(d.dst, frame)
                except OSError:
                    pass  # the device is down or gone for a moment: the frame is lost, as on a wire
        dues = [d.queue[0][0] for d in directions.values() if d.queue]
        timeout = max(0.0, min(dues) - time.monotonic()) if dues else None
        readable, _, _ = select.select([a, b, sys.stdin], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            if fd is sys.stdin:
                if not os.read(sys.stdin.fileno(), 4096):
                    return  # stdin closed: whoever started this is gone
                continue
            d = directions[fd]
            for _ in range(256):  # drain what is there, but let the other direction run too
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                due = max(now + delay + random.uniform(-jitter, jitter), d.last_due)
                d.last_due = due
                d.queue.append((due, frame))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
