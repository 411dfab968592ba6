"""Query parameters decoded as the API server decodes them."""

import api_status


def parse_bool(text, name):
    """Go's strconv.ParseBool; absent or empty is false."""
    if text in (None, "", "0", "f", "F", "false", "FALSE", "False"):
        return False
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    raise api_status.bad_request(f'invalid boolean value for {name}: "{text}"')


def non_negative_int(query, name):
    """The parameter's integer value, None when absent; 400 or 422 when not a count."""
    text = query.get(name)
    if text in (None, ""):
        return None
    try:
        value = int(text)
    except ValueError:
        raise api_status.bad_request(f'invalid {name} "{text}"')
    if value < 0:
        raise api_status.invalid("PodLogOptions", "", [api_status.invalid_value(
            name, value, "must be greater than or equal to 0")])
    return value
