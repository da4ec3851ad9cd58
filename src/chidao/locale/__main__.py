"""``python -m chidao.locale extract|update|compile|check`` (needs Babel)."""

import sys

from chidao.locale.catalog import main

sys.exit(main(sys.argv[1:]))
