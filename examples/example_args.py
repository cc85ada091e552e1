"""The command line every Python example shares:
    APP [--socket ADDRESS] [--threads N]
Without --socket the app serves the listener inherited on fd 0 (spawn-fcgi,
mod_fcgid) or runs once as plain CGI."""
import argparse


def parse(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--socket", metavar="ADDRESS",
                        help="unix socket path or host:port (default: inherit fd 0 or run as CGI)")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="requests served at once (default 1)")
    return parser.parse_args()
