"""Kubernetes' protobuf request bodies, for the one kubectl sends that the simulator
takes: `kubectl create namespace` (typed clients send application/vnd.kubernetes.protobuf;
kubectl create -f and apply -f send JSON). Decodes the runtime.Unknown envelope and a
Namespace's metadata (name, generateName, labels, annotations)."""

import api_status

_MAGIC = b"k8s\x00"


def decode_namespace(body):
    """The Namespace in a protobuf body, as the JSON object the registry takes."""
    if not body.startswith(_MAGIC):
        raise api_status.bad_request("protobuf body without the k8s magic prefix")
    envelope = _fields(body[len(_MAGIC):])
    type_meta = _fields(envelope.get(1, [b""])[0])
    kind = _text(type_meta, 2)
    if kind != "Namespace":
        raise api_status.unsupported_media_type(
            f"application/vnd.kubernetes.protobuf ({kind or 'unknown kind'}: the simulator decodes "
            "protobuf only for Namespace; send JSON)")
    namespace = _fields(envelope.get(2, [b""])[0])
    meta = _fields(namespace.get(1, [b""])[0])
    metadata = {"name": _text(meta, 1), "generateName": _text(meta, 2)}
    for field, key in ((11, "labels"), (12, "annotations")):
        entries = [_fields(entry) for entry in meta.get(field, [])]
        if entries:
            metadata[key] = {_text(e, 1): _text(e, 2) for e in entries}
    return {"apiVersion": _text(type_meta, 1) or "v1", "kind": "Namespace",
            "metadata": {k: v for k, v in metadata.items() if v}}


def _fields(data):
    """{field number: [values]}; length-delimited values as bytes, others as ints."""
    fields, position = {}, 0
    try:
        while position < len(data):
            tag, position = _varint(data, position)
            number, wire_type = tag >> 3, tag & 7
            if wire_type == 0:
                value, position = _varint(data, position)
            elif wire_type == 2:
                length, position = _varint(data, position)
                value, position = data[position:position + length], position + length
            elif wire_type in (1, 5):
                size = 8 if wire_type == 1 else 4
                value, position = int.from_bytes(data[position:position + size], "little"), position + size
            else:
                raise ValueError(f"wire type {wire_type}")
            fields.setdefault(number, []).append(value)
    except (IndexError, ValueError) as error:
        raise api_status.bad_request(f"malformed protobuf body: {error}")
    return fields


def _varint(data, position):
    value, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


def _text(fields, number):
    values = fields.get(number)
    return values[0].decode() if values else ""
