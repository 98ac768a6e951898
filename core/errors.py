"""Errors a user can cause. Each carries the `extensions.code` listed in the README; the API layer
turns them into GraphQL errors, the CLI into a message and exit code."""


class DownlineError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadUserInput(DownlineError):
    """Names the input at fault in `field`."""

    code = "BAD_USER_INPUT"


class NotFound(DownlineError):
    """Unknown and out of scope look the same."""

    code = "NOT_FOUND"


class Forbidden(DownlineError):
    """The caller's role or a switch refuses the action."""

    code = "FORBIDDEN"


class ExportsDisabled(DownlineError):
    code = "EXPORTS_DISABLED"


class RateLimited(DownlineError):
    """The caller has as many jobs of a kind waiting or running as one user may."""

    code = "RATE_LIMITED"


class Unauthenticated(DownlineError):
    code = "UNAUTHENTICATED"
