"""``python -m graphaudit.queries --docs docs/queries.md``: regenerate the analysts' guide."""

from .docs import main

raise SystemExit(main())
