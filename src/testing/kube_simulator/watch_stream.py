"""Watches: a chunked HTTP response of JSON lines {"type", "object"}, fed from the store's
event history. Semantics of the API server's watch cache: resourceVersion unset or "0"
starts with synthetic ADDED events for the current objects; a given resourceVersion
replays the events after it, or answers an ERROR event 410 Expired when it is older than
the history; selectors turn a MODIFIED into ADDED or DELETED when an object starts or
stops matching; BOOKMARKs carry the resourceVersion the watch has reached."""

import math
import time

import api_status
import table
from object_store import WaitResult
from query_params import parse_bool

_LIVENESS_CHECK_SECONDS = 1.0


class WatchRequest:
    def __init__(self, resource, namespace, query, accept):
        self.resource = resource
        self.namespace = namespace
        self.resource_version = query.get("resourceVersion") or None
        timeout = query.get("timeoutSeconds")
        try:
            self.timeout = float(timeout) if timeout not in (None, "") else None
        except ValueError:
            raise api_status.bad_request(f'invalid timeoutSeconds "{timeout}"')
        self.bookmarks = parse_bool(query.get("allowWatchBookmarks"), "allowWatchBookmarks")
        self.send_initial_events = parse_bool(query.get("sendInitialEvents"), "sendInitialEvents")
        self.label_selector = query.get("labelSelector")
        self.field_selector = query.get("fieldSelector")
        self.table_version = table.wanted_table_version(accept)
        self.include_object = query.get("includeObject", "Metadata")


def serve_watch(responder, context, request):
    """Streams the watch until its timeout, a dropped-watch fault, the client leaving, or
    the simulator stopping. Errors found before the stream starts are raised as ApiError."""
    store, registry = context.store, context.registry
    labels, fields = registry.selectors(request.resource, request.label_selector, request.field_selector)
    initial, start_rv, expired_floor = [], None, None
    generation, floor, current = store.watch_start()
    if request.resource_version in (None, "0") or request.send_initial_events:
        items, start_rv = store.list(request.resource, request.namespace)
        initial = [("ADDED", o) for o in items if registry.matches(request.resource, o, labels, fields)]
    else:
        try:
            start_rv = int(request.resource_version)
        except ValueError:
            raise api_status.bad_request(f'invalid resource version "{request.resource_version}"')
        if start_rv > current:
            # The API server waits a little for a version it has not seen yet.
            deadline = time.monotonic() + 3
            while store.current_rv() < start_rv and time.monotonic() < deadline:
                time.sleep(0.05)
            if store.current_rv() < start_rv:
                raise api_status.timeout(
                    f"Too large resource version: {start_rv}, current: {store.current_rv()}")
        if start_rv < floor:
            expired_floor = floor

    responder.start_chunked(200, "application/json")
    context.stats.watch_opened()
    try:
        if expired_floor is not None:
            _send(responder, request, "ERROR", api_status.expired(
                f"too old resource version: {start_rv} ({expired_floor})").body())
            responder.end_chunked()
            return
        _stream(responder, context, request, labels, fields, initial, start_rv, generation)
    finally:
        context.stats.watch_closed()


def _stream(responder, context, request, labels, fields, initial, last_rv, generation):
    store, faults = context.store, context.faults
    sent = 0
    now = time.monotonic()
    end = now + request.timeout if request.timeout else math.inf
    next_bookmark = now + context.bookmark_interval if request.bookmarks else math.inf

    def deliver(event_type, obj):
        nonlocal sent
        if not _send(responder, request, event_type, obj):
            return False
        sent += 1
        every = faults.drop_watch_every
        if every and sent >= every:
            _drop(responder, faults.drop_abrupt)
            return False
        return True

    for event_type, obj in initial:
        if not deliver(event_type, obj):
            return
    if request.send_initial_events and request.bookmarks:
        if not _send(responder, request, "BOOKMARK", _bookmark(request.resource, last_rv, initial_end=True)):
            return
    while True:
        wake = min(end, next_bookmark, time.monotonic() + _LIVENESS_CHECK_SECONDS)
        result = store.wait_for_events(last_rv, wake, generation)
        if result.outcome == WaitResult.EVENTS:
            for event in result.events:
                last_rv = event.rv
                visible = _visible(context.registry, request, labels, fields, event)
                if visible and not deliver(*visible):
                    return
        elif result.outcome == WaitResult.DROPPED:
            _drop(responder, faults.drop_abrupt)
            return
        elif result.outcome == WaitResult.EXPIRED:
            # Fell behind the bounded history: the API server ends such a watch the same way.
            _send(responder, request, "ERROR", api_status.expired(
                f"too old resource version: {last_rv} ({result.floor})").body())
            responder.end_chunked()
            return
        elif result.outcome == WaitResult.STOPPING:
            responder.end_chunked()
            return
        else:
            now = time.monotonic()
            if now >= end:
                responder.end_chunked()
                return
            if now >= next_bookmark:
                if not _send(responder, request, "BOOKMARK", _bookmark(request.resource, last_rv)):
                    return
                next_bookmark = now + context.bookmark_interval
            if responder.client_gone():
                responder.abort()
                return


def _visible(registry, request, labels, fields, event):
    """(type, object) this watch shows for a change, or None."""
    if event.resource != request.resource or (request.namespace and event.namespace != request.namespace):
        return None

    def matches(obj):
        return obj is not None and registry.matches(request.resource, obj, labels, fields)
    if event.type == "ADDED":
        return ("ADDED", event.obj) if matches(event.obj) else None
    if event.type == "DELETED":
        return ("DELETED", event.obj) if matches(event.prev) else None
    now, before = matches(event.obj), matches(event.prev)
    if now:
        return ("MODIFIED" if before else "ADDED", event.obj)
    if before:
        # The object left the selection: its last matching state, at this event's version.
        last = dict(event.prev)
        last["metadata"] = dict(last["metadata"], resourceVersion=str(event.rv))
        return ("DELETED", last)
    return None


def _bookmark(resource, rv, initial_end=False):
    kinds = {"pods": "Pod", "namespaces": "Namespace"}
    metadata = {"resourceVersion": str(rv)}
    if initial_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": kinds[resource], "apiVersion": "v1", "metadata": metadata}


def _send(responder, request, event_type, obj):
    if request.table_version and event_type in ("ADDED", "MODIFIED", "DELETED"):
        obj = table.table(request.resource, [obj], request.table_version,
                          obj["metadata"]["resourceVersion"], request.include_object)
    return responder.write_json_line({"type": event_type, "object": obj})


def _drop(responder, abrupt):
    if abrupt:
        responder.abort()
    else:
        responder.end_chunked()
