"""The command line every Python example shares:
    APP [--socket ADDRESS] [--threads N]
Without --socket the app serves the listener inherited on fd 0 (spawn-fcgi,
mod_fcgid) or runs once as plain CGI."""
import argparse
import os
import sys
from typing import Any, Callable

import ffcgi


def _threads(text: str) -> int:
    number = int(text)
    if not 1 <= number <= 256:
        raise argparse.ArgumentTypeError(f"{text} is not from 1 to 256")
    return number


def parse(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--socket", metavar="ADDRESS",
                        help="unix socket path or host:port (default: inherit fd 0 or run as CGI)")
    parser.add_argument("--threads", type=_threads, default=1, metavar="N",
                        help="requests served at once, 1 to 256 (default 1)")
    return parser.parse_args()


def serve(handler: Callable[[Any], Any], description: str) -> None:
    """Parses the command line and serves ``handler`` until SIGTERM/SIGINT,
    as the C examples do: a listener that cannot be opened is reported in
    one line ("echo.py: cannot bind ...") with exit status 1."""
    args = parse(description)
    try:
        ffcgi.serve(handler, args.socket, threads=args.threads)
    except ffcgi.Error as error:
        sys.exit(f"{os.path.basename(sys.argv[0])}: {error}")
