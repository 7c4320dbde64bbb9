"""The one error type of the pipeline: a sentence a user can act on."""


class PipelineError(Exception):
    """A failure explained in one sentence: what happened, where, and what to do."""


class ReconciliationError(PipelineError):
    """Raw rows do not equal loaded + merged + rejected for some source."""
