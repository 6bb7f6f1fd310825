"""`newsarchive` and `python -m newsarchive`: the CLI, with Ctrl-C during start-up handled too.

Importing the CLI loads trafilatura and friends (a second or so): a Ctrl-C then would print a
traceback from the middle of some import. Caught here, it is the same one line as later on.
"""

import sys


def main() -> None:
    try:
        from newsarchive.cli import cli
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        raise SystemExit(130) from None
    cli(prog_name="newsarchive")


if __name__ == "__main__":
    main()
