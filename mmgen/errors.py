"""Errors a user may see. Their message is written for a non-musician and is shown as-is
(a `gr.Error` toast in the app, one line on stderr in the CLI)."""


class MmgenError(Exception):
    """Base class: the message is plain language, safe to show to the user."""


class InvalidRequest(MmgenError, ValueError):
    """The request cannot be honoured as given (bad prompt, duration, key, path...)."""


class Unavailable(MmgenError, RuntimeError):
    """A model, codec or file the request needs is not available on this machine."""


class GenerationFailed(MmgenError, RuntimeError):
    """Generation ran but produced something unusable (silent, NaN)."""


class Cancelled(MmgenError):
    """The user stopped the generation; the work was abandoned at the next step."""
