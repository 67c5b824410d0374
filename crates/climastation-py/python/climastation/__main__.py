"""``climastation``: the command-line program, run in this process.

The wheel installs it as the ``climastation`` command; ``python -m
climastation`` does the same. It is the Rust program itself (the same code
as ``cargo run -p climastation``), with its signals: the first Ctrl-C stops
cleanly (exit 130), a second exits at once.
"""

import signal
import sys


def main() -> None:
    from ._climastation import _cli

    # the program installs its own handlers; Python's would raise
    # KeyboardInterrupt after it returned
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    argv = ["climastation", *sys.argv[1:]]
    sys.stdout.flush()
    sys.exit(_cli(argv))


if __name__ == "__main__":
    main()
