"""GET pods/{name}/log: a container's output from the engine, with the kubelet's choice
of container and its errors, tailLines, limitBytes, sinceSeconds, timestamps, follow."""

import time

import api_status
from engine_client import EngineError
from query_params import non_negative_int, parse_bool


def serve_logs(responder, context, namespace, name, query):
    pod = context.registry.get("pods", namespace, name)
    spec, status = pod["spec"], pod.get("status", {})
    containers = spec.get("containers") or []
    init_containers = spec.get("initContainers") or []
    container_name = query.get("container") or _default_container(name, containers, init_containers)
    container = next((c for c in containers + init_containers if c["name"] == container_name), None)
    if container is None:
        raise api_status.bad_request(f"container {container_name} is not valid for pod {name}")
    if parse_bool(query.get("previous"), "previous"):
        raise api_status.bad_request(
            f'previous terminated container "{container_name}" in pod "{name}" not found')
    container_status = next((s for s in (status.get("containerStatuses") or [])
                             + (status.get("initContainerStatuses") or [])
                             if s["name"] == container_name), None)
    waiting = (container_status or {}).get("state", {}).get("waiting") if container_status else {}
    if container_status is None or waiting is not None or not container_status.get("containerID"):
        reason = (waiting or {}).get("reason", "ContainerCreating")
        raise api_status.bad_request(
            f'container "{container_name}" in pod "{name}" is waiting to start: {reason}')
    container_id = container_status["containerID"].split("://", 1)[1]

    tail = non_negative_int(query, "tailLines")
    limit = non_negative_int(query, "limitBytes")
    since = non_negative_int(query, "sinceSeconds")
    follow = parse_bool(query.get("follow"), "follow")
    timestamps = parse_bool(query.get("timestamps"), "timestamps")
    try:
        stream = context.engine.logs(container_id, bool(container.get("tty")), follow=follow, tail=tail,
                                     timestamps=timestamps,
                                     since=None if since is None else int(time.time()) - since)
    except EngineError as error:
        raise _engine_error(error, container_name, name)
    if not follow:
        try:
            data = stream.read_all()
        except EngineError as error:
            raise _engine_error(error, container_name, name)
        responder.send_bytes(200, data if limit is None else data[:limit], "text/plain")
        return
    try:
        responder.start_chunked(200, "text/plain")
        written = 0
        drops = context.faults.log_follow_drops
        for chunk in stream:
            if context.faults.log_follow_drops != drops:
                break
            if limit is not None:
                chunk = chunk[:limit - written]
            if chunk and not responder.write_chunk(chunk):
                return
            written += len(chunk)
            if limit is not None and written >= limit:
                break
    except EngineError:
        pass  # the container was removed while followed: the stream ends
    finally:
        stream.close()
    responder.end_chunked()


def _default_container(pod_name, containers, init_containers):
    if len(containers) == 1:
        return containers[0]["name"]
    names = " ".join(c["name"] for c in containers)
    message = f"a container name must be specified for pod {pod_name}, choose one of: [{names}]"
    if init_containers:
        message += f' or one of the init containers: [{" ".join(c["name"] for c in init_containers)}]'
    raise api_status.bad_request(message)


def _engine_error(error, container_name, pod_name):
    if error.status == 404:
        return api_status.bad_request(f'container "{container_name}" in pod "{pod_name}" is not available')
    return api_status.internal_error(error.message)
