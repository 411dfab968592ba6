"""Kubernetes resource quantities ("256Mi", "1G", "500m", "2", "1e3") as numbers."""

import decimal
import math
import re

_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
                       r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")
_MULTIPLIERS = {
    None: 1, "n": decimal.Decimal("1e-9"), "u": decimal.Decimal("1e-6"),
    "m": decimal.Decimal("1e-3"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
    "Pi": 2**50, "Ei": 2**60,
}
# The detail apimachinery's resource.ParseQuantity failure shows in a validation message.
SYNTAX_ERROR = ("quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


def parse(text):
    """The quantity's value as a Decimal, or None when text is not a quantity."""
    if not isinstance(text, (str, int, float)) or isinstance(text, bool):
        return None
    match = _QUANTITY.match(str(text).strip())
    if not match:
        return None
    number, suffix = match.groups()
    value = decimal.Decimal(number)
    if suffix and suffix[0] in "eE" and len(suffix) > 1:
        return value.scaleb(int(suffix[1:]))
    return value * decimal.Decimal(_MULTIPLIERS[suffix])


def memory_bytes(text):
    """Bytes for a memory quantity, rounded up as the kubelet does."""
    return int(math.ceil(parse(text)))


def nano_cpus(text):
    """Docker's NanoCpus for a cpu quantity ("500m" is half a cpu)."""
    return int(parse(text) * 1_000_000_000)
