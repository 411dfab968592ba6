"""Just enough OpenAPI v3 for kubectl's default --validate=strict: kubectl reads
/openapi/v3, then the core/v1 document, and when the PATCH operation of the object's
kind lists the fieldValidation parameter it leaves validation to the server instead of
downloading schemas. The simulator does not check for unknown fields. Older kubectl
reads /openapi/v2 instead (openapi_v2.py)."""

_GV_PATH = "/openapi/v3/api/v1"
_HASH = "kube-simulator-1"


def root():
    return {"paths": {"api/v1": {"serverRelativeURL": f"{_GV_PATH}?hash={_HASH}"}}}


def core_v1():
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (kube_simulator)", "version": "v1.32.0"},
        "paths": {
            "/api/v1/namespaces/{namespace}/pods/{name}": _patchable("Pod"),
            "/api/v1/namespaces/{name}": _patchable("Namespace"),
        },
    }


def _patchable(kind):
    return {"patch": {
        "operationId": f"patchCoreV1{kind}",
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": "", "version": "v1", "kind": kind},
        "parameters": [{"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                       for name in ("dryRun", "fieldManager", "fieldValidation")],
        "responses": {"200": {"description": "OK"}},
    }}
