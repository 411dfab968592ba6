"""Label selectors (the labelSelector query syntax and matchExpressions objects) and field
selectors, with the grammar and semantics of k8s.io/apimachinery/pkg/labels and fields.

A selector is a list of requirements; an object matches when every requirement holds.
"""

import re

from api_status import bad_request

_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_OPERATOR_CHARS = "=!(),<>"


class Requirement:
    """key OP values, OP one of = == != in notin exists !exists > <."""

    def __init__(self, key, operator, values=()):
        self.key = key
        self.operator = operator
        self.values = list(values)

    def matches(self, labels):
        present = self.key in labels
        value = labels.get(self.key)
        op = self.operator
        if op in ("=", "==", "in"):
            return present and value in self.values
        if op in ("!=", "notin"):
            return not present or value not in self.values
        if op == "exists":
            return present
        if op == "!":
            return not present
        if op in (">", "<"):
            try:
                number = int(value)
            except (TypeError, ValueError):
                return False
            return number > int(self.values[0]) if op == ">" else number < int(self.values[0])
        raise AssertionError(op)


def parse_label_selector(text):
    """Requirements of a labelSelector query value; 400 BadRequest when malformed."""
    tokens = _tokenize(text or "")
    requirements = []
    position = 0

    def fail(why):
        raise bad_request(f"unable to parse requirement: {why}")

    def take():
        nonlocal position
        if position >= len(tokens):
            fail("found '', expected: identifier")
        position += 1
        return tokens[position - 1]

    def peek():
        return tokens[position] if position < len(tokens) else None

    while position < len(tokens):
        token = take()
        if token == "!":
            key = take()
            _check_key(key, fail)
            requirements.append(Requirement(key, "!"))
        else:
            if token in _OPERATOR_CHARS or token in ("==", "!="):
                fail(f"found '{token}', expected: !, identifier, or 'end of string'")
            _check_key(token, fail)
            operator = peek()
            if operator is None or operator == ",":
                requirements.append(Requirement(token, "exists"))
            else:
                take()
                if operator in ("=", "==", "!="):
                    value = "" if peek() in (None, ",") else take()
                    _check_value(value, fail)
                    requirements.append(Requirement(token, operator, [value]))
                elif operator in ("in", "notin"):
                    if take() != "(":
                        fail(f"found '{tokens[position - 1]}', expected: '('")
                    values = []
                    expect_value = True
                    while True:
                        item = take()
                        if item in (",", ")"):
                            if expect_value and (values or item == ","):
                                values.append("")
                            if item == ")":
                                break
                            expect_value = True
                            continue
                        if not expect_value:
                            fail(f"found '{item}', expected: ',' or ')'")
                        _check_value(item, fail)
                        values.append(item)
                        expect_value = False
                    if not values:
                        fail("for 'in', 'notin' operators, values set can't be empty")
                    requirements.append(Requirement(token, operator, values))
                elif operator in (">", "<"):
                    value = take()
                    if not re.fullmatch(r"-?[0-9]+", value):
                        fail("for 'Gt', 'Lt' operators, the value must be an integer")
                    requirements.append(Requirement(token, operator, [value]))
                else:
                    fail(f"found '{operator}', expected: in, notin, =, ==, !=, gt, lt")
        if position < len(tokens):
            if take() != ",":
                fail(f"found '{tokens[position - 1]}', expected: ',' or 'end of string'")
            if position >= len(tokens):
                fail("found '', expected: identifier after ','")
    return requirements


def requirements_from_label_selector_object(selector, field):
    """Requirements of a LabelSelector object ({matchLabels, matchExpressions})."""
    requirements = [Requirement(k, "=", [v]) for k, v in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        requirements.append(requirement_from_expression(expression, field))
    return requirements


def requirement_from_expression(expression, field):
    """A matchExpressions entry (In, NotIn, Exists, DoesNotExist, Gt, Lt) as a Requirement."""
    operators = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!",
                 "Gt": ">", "Lt": "<"}
    operator = operators.get(expression.get("operator"))
    if operator is None:
        raise bad_request(f'{field}: unsupported operator "{expression.get("operator")}"')
    return Requirement(expression.get("key", ""), operator, expression.get("values") or [])


def matches_all(requirements, labels):
    return all(r.matches(labels or {}) for r in requirements)


def parse_field_selector(text, supported_fields):
    """[(field, operator, value)] of a fieldSelector; 400 for unknown fields or syntax."""
    selectors = []
    for term in _split_unescaped(text or "", ","):
        if not term:
            continue
        match = re.match(r"^([^=!]+)(==|=|!=)(.*)$", term)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field, operator, value = match.groups()
        field = field.strip()
        if field not in supported_fields:
            raise bad_request(f'field label not supported: {field}')
        selectors.append((field, operator, value.replace("\\,", ",").replace("\\=", "=")
                          .replace("\\\\", "\\")))
    return selectors


def fields_match(selectors, field_values):
    for field, operator, value in selectors:
        actual = field_values.get(field, "")
        if (actual == value) != (operator in ("=", "==")):
            return False
    return True


def _tokenize(text):
    tokens = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif text.startswith("==", i) or text.startswith("!=", i):
            tokens.append(text[i:i + 2])
            i += 2
        elif char in _OPERATOR_CHARS:
            tokens.append(char)
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in _OPERATOR_CHARS:
                i += 1
            tokens.append(text[start:i])
    return tokens


def _check_key(key, fail):
    prefix, _, name = key.rpartition("/")
    if (not name or len(name) > 63 or not _NAME.match(name)
            or (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)))):
        fail(f'invalid label key "{key}": name part must consist of alphanumeric characters, '
             "'-', '_' or '.', and must start and end with an alphanumeric character")


def _check_value(value, fail):
    if len(value) > 63 or not _NAME.match(value):
        fail(f'invalid label value: "{value}": a valid label must be an empty string or consist '
             "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
             "alphanumeric character")


def _split_unescaped(text, separator):
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts
