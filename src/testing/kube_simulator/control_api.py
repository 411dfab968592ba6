"""The test-only control API under /simulator/ (JSON in and out, no token needed, never
subject to the faults it injects):

  GET  /simulator/info                 instance id, the label on every container it creates
  GET  /simulator/stats                requests by method, 429s and 500s served, watches,
                                       pods created and the most pods that existed at once
  POST /simulator/reset-stats
  GET  /simulator/storms               the active storms
  POST /simulator/storms               {"status": 429|500, "count": N, "seconds": T,
                                        "method": "GET", "verb": "list", "pathPrefix": "/api/v1/pods",
                                        "retryAfterSeconds": 1}; count and/or seconds
  DELETE /simulator/storms             ends every storm
  POST /simulator/watches/drop         {"abrupt": false}: ends every open watch now
                                       (abrupt: connection reset instead of the last chunk)
  POST /simulator/watches/drop-every   {"everyEvents": K, "abrupt": false}: every watch ends
                                       after K events (0: never)
  POST /simulator/logs/drop            ends every open log follow (follow=true) cleanly, at its
                                       next piece of output, which it does not send
  POST /simulator/history/expire       forgets the event history: a watch from an older
                                       resourceVersion gets 410 Expired
  GET  /simulator/node                 the node's name, labels and taints
  PUT  /simulator/node                 {"labels": {...}, "taints": [{"key", "value", "effect"}]}
                                       (each optional; pending pods are scheduled again)
"""

import container_config
from api_status import bad_request, method_not_allowed, unknown_path


def handle(responder, context, method, path, body):
    routes = {
        ("GET", "/simulator/info"): lambda: {
            "instanceId": context.instance_id,
            "containerLabel": f"{container_config.INSTANCE_LABEL}={context.instance_id}",
            "dockerHost": context.docker_host, "server": f"http://{context.address}"},
        ("GET", "/simulator/stats"): lambda: dict(context.stats.snapshot(), **context.store.pod_stats(),
                                                  activeStorms=context.faults.storms()),
        ("POST", "/simulator/reset-stats"): lambda: _reset_stats(context),
        ("GET", "/simulator/storms"): lambda: {"storms": context.faults.storms()},
        ("POST", "/simulator/storms"): lambda: context.faults.add_storm(_object(body)),
        ("DELETE", "/simulator/storms"): lambda: _clear_storms(context),
        ("POST", "/simulator/watches/drop"): lambda: _drop_watches(context, _object(body)),
        ("POST", "/simulator/watches/drop-every"): lambda: _drop_every(context, _object(body)),
        ("POST", "/simulator/logs/drop"): lambda: {"drops": context.faults.drop_log_follows()},
        ("POST", "/simulator/history/expire"): lambda: _expire(context),
        ("GET", "/simulator/node"): context.node.describe,
        ("PUT", "/simulator/node"): lambda: _update_node(context, _object(body)),
    }
    action = routes.get((method, path))
    if action is None:
        raise method_not_allowed() if any(p == path for _, p in routes) else unknown_path()
    responder.send_json(200, action())


def _object(body):
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("the control API takes a JSON object")
    return body


def _reset_stats(context):
    context.stats.reset()
    context.store.reset_pod_stats()
    return {"reset": True}


def _clear_storms(context):
    context.faults.clear_storms()
    return {"storms": []}


def _drop_watches(context, body):
    open_now = context.stats.snapshot()["watchesOpen"]
    context.faults.set_watch_drops(abrupt=body.get("abrupt", False))
    context.store.drop_watches()
    return {"dropped": open_now}


def _drop_every(context, body):
    context.faults.set_watch_drops(body.get("everyEvents", 0), body.get("abrupt", False))
    return {"everyEvents": context.faults.drop_watch_every}


def _expire(context):
    context.store.expire_history()
    return {"resourceVersion": str(context.store.current_rv())}


def _update_node(context, body):
    context.node.update(body.get("labels"), body.get("taints"))
    return context.node.describe()
