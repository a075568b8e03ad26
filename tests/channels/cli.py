"""``python -m tests.channels.cli``: broadcast's command line with the test tree's channels
registered first, as an organisation's own launcher would register its channels."""

import tests.channels.pager  # noqa: F401  (registers the pager channel)
from broadcast.__main__ import main

if __name__ == "__main__":
    main()
