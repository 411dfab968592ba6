"""Kubernetes Status bodies and the ApiError that carries one out of any layer.

Reasons, codes and message formats are those of k8s.io/apimachinery/pkg/api/errors, so
clients that switch on reason (client-go, python-kubernetes, POP's runner) see what a
real API server sends.
"""


class ApiError(Exception):
    """A failed API request: becomes an HTTP response with a Status body."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self):
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(code, reason, message, details=None):
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    return body


def success_status(details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        body["details"] = details
    return body


def not_found(resource, name):
    return ApiError(404, "NotFound", f'{resource} "{name}" not found',
                    {"name": name, "kind": resource})


def unknown_path():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(resource, name):
    return ApiError(409, "AlreadyExists", f'{resource} "{name}" already exists',
                    {"name": name, "kind": resource})


def conflict(resource, name, why):
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {resource} "{name}": {why}',
                    {"name": name, "kind": resource})


def invalid(kind, name, causes):
    """causes: [{"reason", "message", "field"}] as field.ErrorList renders them."""
    rendered = [f'{c["field"]}: {c["message"]}' for c in causes]
    summary = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {summary}',
                    {"name": name, "kind": kind, "causes": causes})


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def forbidden(resource, name, why, causes=None):
    details = {"name": name, "kind": resource}
    if causes:
        details["causes"] = causes
    return ApiError(403, "Forbidden", f'{resource} "{name}" is forbidden: {why}', details)


def method_not_allowed():
    return ApiError(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource", {})


def unsupported_media_type(content_type):
    return ApiError(415, "UnsupportedMediaType",
                    f'the body of the request was in an unknown format ({content_type}) - accepted '
                    'media types include: application/json, application/merge-patch+json, '
                    'application/strategic-merge-patch+json', {})


def not_acceptable(accept):
    return ApiError(406, "NotAcceptable",
                    f'none of the media types in "{accept}" is served here - served media types '
                    'include: application/json, application/com.github.proto-openapi.spec.v2.v1.0+protobuf')


def expired(message):
    return ApiError(410, "Expired", message)


def gone(message):
    return ApiError(410, "Gone", message)


def too_many_requests(retry_after_seconds):
    return ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                    {"retryAfterSeconds": retry_after_seconds},
                    {"Retry-After": str(retry_after_seconds)})


def internal_error(cause):
    return ApiError(500, "InternalError", f"Internal error occurred: {cause}",
                    {"causes": [{"message": cause}]})


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def timeout(message, retry_after_seconds=1):
    return ApiError(504, "Timeout", message, {"retryAfterSeconds": retry_after_seconds})


# Causes of an Invalid error, rendered as k8s.io/apimachinery/pkg/util/validation/field does.

def required(field):
    return {"reason": "FieldValueRequired", "message": "Required value", "field": field}


def invalid_value(field, value, detail):
    return {"reason": "FieldValueInvalid",
            "message": f"Invalid value: {_render(value)}: {detail}", "field": field}


def not_supported(field, value, supported):
    choices = ", ".join(f'"{s}"' for s in supported)
    return {"reason": "FieldValueNotSupported",
            "message": f"Unsupported value: {_render(value)}: supported values: {choices}",
            "field": field}


def duplicate(field, value):
    return {"reason": "FieldValueDuplicate", "message": f"Duplicate value: {_render(value)}",
            "field": field}


def _render(value):
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
