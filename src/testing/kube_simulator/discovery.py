"""The discovery documents kubectl reads before anything else: /version, /api, /api/v1
(legacy, unaggregated discovery: kubectl falls back to it when the answer is not an
APIGroupDiscoveryList) and /apis."""

SERVER_VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-kube-simulator", "gitCommit": "simulator",
    "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0",
    "compiler": "gc", "platform": "linux/amd64",
}

_READ = ["get", "list", "watch"]


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_groups():
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}


def core_v1_resources():
    return {
        "kind": "APIResourceList", "groupVersion": "v1",
        "resources": [
            {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event",
             "verbs": ["list"], "shortNames": ["ev"]},
            {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
             "verbs": ["create", "delete", "get", "list", "patch", "watch"], "shortNames": ["ns"]},
            {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
             "verbs": ["get", "list"], "shortNames": ["no"]},
            {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
             "verbs": ["create", "delete", "get", "list", "patch", "watch"], "shortNames": ["po"],
             "categories": ["all"]},
            {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
            {"name": "pods/status", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
        ],
    }
