"""``python -m app``: the same as ``rpc-hub serve``."""

import sys

from app.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
