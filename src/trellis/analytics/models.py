"""Analytics keeps no tables of its own yet: every dashboard figure is computed on request
from the domain apps' records, through `access.visible` (see `selectors`). Saved reports
(issue 5, part 2) will live here."""
