"""Server-side printing: objects as meta.k8s.io Tables, what `kubectl get` asks for with
Accept: application/json;as=Table;v=v1;g=meta.k8s.io (the columns of the API server's
own printers for pods, namespaces and nodes)."""

import calendar
import time

_COLUMNS = {
    "pods": [("Name", "name", 0), ("Ready", "", 0), ("Status", "", 0), ("Restarts", "", 0),
             ("Age", "", 0), ("IP", "", 1), ("Node", "", 1), ("Nominated Node", "", 1),
             ("Readiness Gates", "", 1)],
    "namespaces": [("Name", "name", 0), ("Status", "", 0), ("Age", "", 0)],
    "nodes": [("Name", "name", 0), ("Status", "", 0), ("Roles", "", 0), ("Age", "", 0),
              ("Version", "", 0)],
    "events": [("Last Seen", "", 0), ("Type", "", 0), ("Reason", "", 0), ("Object", "", 0),
               ("Message", "", 0)],
}


def wanted_table_version(accept):
    """meta.k8s.io/v1 or v1beta1 when the Accept header asks for a Table, else None."""
    for part in (accept or "").split(","):
        params = dict(p.strip().split("=", 1) for p in part.split(";")[1:] if "=" in p)
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            return f'meta.k8s.io/{params.get("v", "v1")}'
    return None


def table(resource, objects, api_version, resource_version, include_object):
    return {
        "kind": "Table", "apiVersion": api_version,
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": [{"name": name, "type": "string", "format": fmt, "description": name,
                               "priority": priority} for name, fmt, priority in _COLUMNS[resource]],
        "rows": [_row(resource, obj, include_object) for obj in objects],
    }


def _row(resource, obj, include_object):
    row = {"cells": _cells(resource, obj)}
    if include_object == "Object":
        row["object"] = obj
    elif include_object != "None":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                         "metadata": obj["metadata"]}
    return row


def _cells(resource, obj):
    meta, status = obj["metadata"], obj.get("status", {})
    age = _age(meta.get("creationTimestamp"))
    if resource == "namespaces":
        return [meta["name"], status.get("phase", ""), age]
    if resource == "nodes":
        return [meta["name"], "Ready", "<none>", age, status.get("nodeInfo", {}).get("kubeletVersion", "")]
    if resource == "events":
        return [age, obj.get("type", ""), obj.get("reason", ""), "", obj.get("message", "")]
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    total = len(obj["spec"].get("containers") or [])
    return [meta["name"], f"{ready}/{total}", _pod_status(obj), "0", age,
            status.get("podIP") or "<none>", obj["spec"].get("nodeName") or "<none>", "<none>", "<none>"]


def _pod_status(pod):
    """The STATUS column as kubectl's printPod computes it, without restarts."""
    status = pod.get("status", {})
    reason = status.get("reason") or status.get("phase", "")
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for index, container in enumerate(init_statuses):
        state = container.get("state", {})
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        initializing = True
        if terminated:
            reason = "Init:" + (terminated.get("reason") or f'ExitCode:{terminated.get("exitCode")}')
        elif waiting and waiting.get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{index}/{len(init_statuses)}"
        break
    if not initializing:
        running = False
        for container in reversed(status.get("containerStatuses") or []):
            state = container.get("state", {})
            if state.get("waiting", {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated"):
                terminated = state["terminated"]
                reason = terminated.get("reason") or f'ExitCode:{terminated.get("exitCode")}'
            elif state.get("running") and container.get("ready"):
                running = True
        if reason == "Completed" and running:
            reason = "Running"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _age(timestamp):
    if not timestamp:
        return "<unknown>"
    seconds = int(time.time() - calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")))
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"
