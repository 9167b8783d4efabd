"""The errors services raise: a failure a client can act on, with a stable code and an HTTP status.

Plain Python, no HTTP machinery: services in every app raise these, and the API's one
exception handler (controlpanel.api.exceptions) and the pages turn them into the envelope
``{"code", "message", "details"}`` or a message. ``code`` strings are stable once shipped.
"""


class ApplicationError(Exception):
    """A failure a client can act on; subclasses fix the status and code."""

    status_code = 400
    code = "application_error"
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, details: dict | None = None):
        self.message = message or self.message
        if code:
            self.code = code
        self.details = details or {}
        super().__init__(self.message)


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class ConflictError(ApplicationError):
    status_code = 409
    code = "conflict"


class AuthenticationError(ApplicationError):
    status_code = 401
    code = "authentication_failed"
    message = "Authentication failed."


class RateLimitedError(ApplicationError):
    status_code = 429
    code = "rate_limited"
    message = "Too many requests. Try again later."

    def __init__(self, *, retry_after: int, message: str | None = None):
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailableError(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable. Try again shortly."
