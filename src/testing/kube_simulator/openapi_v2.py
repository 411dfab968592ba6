"""The OpenAPI v2 document at /openapi/v2. kubectl 1.20 (Debian 12's) reads it before
every `apply` and `create -f`, for its client-side validation and the patch merge keys of
`apply`, asks for protobuf (gnostic's openapi.v2.Document) and gives up with NotFound when
it is missing; 1.27 reads it as well, and 1.33 for `apply` patches, both tolerating its
absence. Asked for JSON (or anything), it is served as JSON, as the API server does.

It describes Pod (with its spec and containers) and Namespace and their metadata in the
shape servers of kubectl 1.20's time served (a struct is an object with properties and no
type, a map is type object with additionalProperties), so that every kubectl from 1.20 on
parses it: field names and the patch merge keys of lists as in Kubernetes 1.33, values
mostly free-form. So kubectl 1.20 refuses an unknown field in a pod, container or object
metadata before sending it, and computes `apply` patches that name only what changed."""

import json

PROTOBUF_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
# What kubectl before 1.24 asks for; answered with PROTOBUF_TYPE, as the API server does
# (Go's mime parser, and so client-go, refuses the '@' in a Content-Type).
_DEPRECATED_PROTOBUF_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_NOT_DESCRIBED = "Not described by the simulator: any value."


def negotiate(accept):
    """(body, content type) for an Accept header, or None: 406. The first acceptable clause
    wins, JSON before protobuf for wildcards, as in the API server's handler."""
    offered = (("application/json", lambda: json.dumps(document()).encode(), "application/json"),
               (_DEPRECATED_PROTOBUF_TYPE, protobuf, PROTOBUF_TYPE),
               (PROTOBUF_TYPE, protobuf, PROTOBUF_TYPE))
    for clause in (accept or "*/*").split(","):
        wanted_type, _, wanted_sub = clause.split(";")[0].strip().partition("/")
        for media_type, body, content_type in offered:
            kind, _, sub = media_type.partition("/")
            if wanted_type in (kind, "*") and wanted_sub in (sub, "*"):
                return body(), content_type
    return None


def _ref(name):
    return {"$ref": f"#/definitions/{name}"}


def _string(description=None):
    return {"type": "string", "description": description} if description else {"type": "string"}


def _integer():
    return {"type": "integer", "format": "int64"}


def _string_map():
    return {"type": "object", "additionalProperties": {"type": "string"}}


def _free_form(description):
    return {"description": description}


def _keyed_list(merge_key, items):
    """A list that strategic merge patches merge element by element, matched on merge_key."""
    return {"type": "array", "items": items, "x-kubernetes-patch-merge-key": merge_key,
            "x-kubernetes-patch-strategy": "merge"}


def _top_level(kind, description):
    return {
        "description": description,
        "properties": {
            "apiVersion": _string("APIVersion defines the versioned schema of this representation."),
            "kind": _string("Kind is a string value representing the REST resource."),
            "metadata": _ref(_META),
            "spec": _ref(f"io.k8s.api.core.v1.{kind}Spec"),
            "status": _ref(f"io.k8s.api.core.v1.{kind}Status"),
        },
        "x-kubernetes-group-version-kind": [{"group": "", "kind": kind, "version": "v1"}],
    }


# Every field of PodSpec and Container (Kubernetes 1.33): kubectl refuses others, as it does
# with a real server's document. Values are not described, except the lists that strategic
# merge patches merge by key: without those, `kubectl apply` would send whole lists.
_POD_SPEC_FIELDS = (
    "activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy",
    "enableServiceLinks", "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostUsers", "hostname",
    "nodeName", "nodeSelector", "os", "overhead", "preemptionPolicy", "priority", "priorityClassName",
    "readinessGates", "resourceClaims", "resources", "restartPolicy", "runtimeClassName",
    "schedulerName", "schedulingGates", "securityContext", "serviceAccount", "serviceAccountName",
    "setHostnameAsFQDN", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds",
    "tolerations", "topologySpreadConstraints")
_CONTAINER_FIELDS = (
    "args", "command", "envFrom", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "name",
    "readinessProbe", "resizePolicy", "resources", "restartPolicy", "securityContext",
    "startupProbe", "stdin", "stdinOnce", "terminationMessagePath", "terminationMessagePolicy",
    "tty", "workingDir")


def _pod_spec():
    containers = _keyed_list("name", _ref("io.k8s.api.core.v1.Container"))
    properties = {name: _free_form(_NOT_DESCRIBED) for name in _POD_SPEC_FIELDS}
    properties.update({"containers": containers, "initContainers": containers,
                       "ephemeralContainers": containers,
                       "imagePullSecrets": _keyed_list("name", _free_form(_NOT_DESCRIBED)),
                       "volumes": _keyed_list("name", _free_form(_NOT_DESCRIBED))})
    return {"description": "PodSpec is a description of a pod.", "required": ["containers"],
            "properties": properties}


def _container():
    properties = {name: _free_form(_NOT_DESCRIBED) for name in _CONTAINER_FIELDS}
    properties.update({"env": _keyed_list("name", _free_form(_NOT_DESCRIBED)),
                       "ports": _keyed_list("containerPort", _free_form(_NOT_DESCRIBED)),
                       "volumeDevices": _keyed_list("devicePath", _free_form(_NOT_DESCRIBED)),
                       "volumeMounts": _keyed_list("mountPath", _free_form(_NOT_DESCRIBED))})
    return {"description": "A single application container that you want to run within a pod.",
            "required": ["name"], "properties": properties}


def document():
    """The document as JSON: a dict."""
    definitions = {
        _META: {
            "description": "ObjectMeta is metadata that all persisted resources must have.",
            "properties": {
                "annotations": _string_map(),
                "creationTimestamp": {"type": "string", "format": "date-time"},
                "deletionGracePeriodSeconds": _integer(),
                "deletionTimestamp": {"type": "string", "format": "date-time"},
                "finalizers": {"type": "array", "items": {"type": "string"}},
                "generateName": _string(),
                "generation": _integer(),
                "labels": _string_map(),
                "managedFields": {"type": "array", "items": _free_form(_NOT_DESCRIBED)},
                "name": _string(),
                "namespace": _string(),
                "ownerReferences": _keyed_list("uid", _free_form(_NOT_DESCRIBED)),
                "resourceVersion": _string(),
                "selfLink": _string(),
                "uid": _string(),
            },
        },
        "io.k8s.api.core.v1.Pod": _top_level(
            "Pod", "Pod is a collection of containers that can run on a host."),
        "io.k8s.api.core.v1.PodSpec": _pod_spec(),
        "io.k8s.api.core.v1.Container": _container(),
        "io.k8s.api.core.v1.PodStatus": _free_form(_NOT_DESCRIBED),
        "io.k8s.api.core.v1.Namespace": _top_level(
            "Namespace", "Namespace provides a scope for Names."),
        "io.k8s.api.core.v1.NamespaceSpec": _free_form(_NOT_DESCRIBED),
        "io.k8s.api.core.v1.NamespaceStatus": _free_form(_NOT_DESCRIBED),
    }
    return {"swagger": "2.0", "info": {"title": "Kubernetes (kube_simulator)", "version": "v1.32.0"},
            "paths": {}, "definitions": definitions}


def protobuf():
    """The document as gnostic's openapi.v2.Document in protobuf."""
    doc = document()
    info = _string_field(1, doc["info"]["title"]) + _string_field(2, doc["info"]["version"])
    definitions = b"".join(_message_field(1, _named_schema(name, schema))
                           for name, schema in doc["definitions"].items())
    return (_string_field(1, doc["swagger"]) + _message_field(2, info)
            + _message_field(8, b"") + _message_field(9, definitions))


# gnostic's openapi.v2.Schema; the field numbers are those of OpenAPIv2.proto.

def _schema(schema):
    out = b""
    if "$ref" in schema:
        out += _string_field(1, schema["$ref"])
    if schema.get("format"):
        out += _string_field(2, schema["format"])
    if schema.get("description"):
        out += _string_field(4, schema["description"])
    for name in schema.get("required", []):
        out += _string_field(19, name)
    if "additionalProperties" in schema:  # AdditionalPropertiesItem.schema
        out += _message_field(21, _message_field(1, _schema(schema["additionalProperties"])))
    if "type" in schema:  # TypeItem
        out += _message_field(22, _string_field(1, schema["type"]))
    if "items" in schema:  # ItemsItem
        out += _message_field(23, _message_field(1, _schema(schema["items"])))
    if "properties" in schema:  # Properties
        out += _message_field(25, b"".join(_message_field(1, _named_schema(name, value))
                                           for name, value in schema["properties"].items()))
    for name, value in schema.items():
        if name.startswith("x-"):  # NamedAny whose Any holds the value as YAML (JSON is YAML)
            out += _message_field(31, _string_field(1, name)
                                  + _message_field(2, _string_field(2, json.dumps(value))))
    return out


def _named_schema(name, schema):
    return _string_field(1, name) + _message_field(2, _schema(schema))


def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _message_field(number, payload):
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _string_field(number, text):
    return _message_field(number, text.encode())
