"""One chart or map alone, for a newsroom's iframe: /embed?chart=map&metric=…&year=…
(the keys are in docs/exports.md). Not in the sidebar."""
from dashboard import frame, views

views.embed(frame.database())
