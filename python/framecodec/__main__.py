"""``python -m framecodec`` and the ``framecodec`` console script: the command line of ``framecodec.cli``."""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
