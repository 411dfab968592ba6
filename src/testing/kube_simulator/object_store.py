"""The simulator's etcd: objects by (resource, namespace, name), one global resourceVersion
counter, and a bounded history of change events that watches replay and follow.

Stored objects are never mutated once stored: readers may share them without copying,
writers (update) change a deep copy. Every write bumps the counter and appends exactly one
event, so the history holds the contiguous versions floor+1 .. current.
"""

import collections
import copy
import itertools
import threading
import time

from api_status import already_exists


class Event:
    """One change: type ADDED, MODIFIED or DELETED; prev is the object before the change."""

    __slots__ = ("rv", "type", "resource", "namespace", "obj", "prev")

    def __init__(self, rv, event_type, resource, namespace, obj, prev):
        self.rv = rv
        self.type = event_type
        self.resource = resource
        self.namespace = namespace
        self.obj = obj
        self.prev = prev


class WaitResult:
    """What a watcher gets from wait_for_events: events after its rv, or why it must stop."""

    EVENTS, TIMEOUT, DROPPED, EXPIRED, STOPPING = "events", "timeout", "dropped", "expired", "stopping"

    def __init__(self, outcome, events=(), floor=0):
        self.outcome = outcome
        self.events = events
        self.floor = floor


class ObjectStore:
    def __init__(self, history_limit):
        self._cond = threading.Condition()
        self._rv = 0
        self._objects = collections.defaultdict(dict)
        self._history = collections.deque()
        self._history_limit = max(1, history_limit)
        self._floor = 0
        self._drop_generation = 0
        self._stopping = False
        self._pods_created = 0
        self._max_pods = 0

    # Reads. The objects returned are shared: callers must not mutate them.

    def get(self, resource, namespace, name):
        with self._cond:
            return self._objects[resource].get((namespace, name))

    def list(self, resource, namespace=None):
        """(objects sorted by namespace and name, the current resourceVersion)."""
        with self._cond:
            items = [obj for (ns, _), obj in sorted(self._objects[resource].items())
                     if namespace is None or ns == namespace]
            return items, self._rv

    def current_rv(self):
        with self._cond:
            return self._rv

    # Writes. Each stamps metadata.resourceVersion and records one event.

    def create(self, resource, obj):
        key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        with self._cond:
            if key in self._objects[resource]:
                raise already_exists(resource, key[1])
            stored = self._stamp(copy.deepcopy(obj))
            self._objects[resource][key] = stored
            if resource == "pods":
                self._pods_created += 1
                self._max_pods = max(self._max_pods, len(self._objects["pods"]))
            self._record("ADDED", resource, key[0], stored, None)
            return stored

    def update(self, resource, namespace, name, mutate, uid=None):
        """Applies mutate to a copy of the object and stores it when mutate returns True.

        Returns the stored object, the unchanged object when mutate returned False, or None
        when the object does not exist (or is another object than uid names).
        """
        with self._cond:
            current = self._objects[resource].get((namespace, name))
            if current is None or (uid is not None and current["metadata"]["uid"] != uid):
                return None
            changed = copy.deepcopy(current)
            if not mutate(changed):
                return current
            stored = self._stamp(changed)
            self._objects[resource][(namespace, name)] = stored
            self._record("MODIFIED", resource, namespace, stored, current)
            return stored

    def delete(self, resource, namespace, name, uid=None, mutate=None):
        """Removes the object; returns its last state (with the deletion's resourceVersion),
        or None when it does not exist (or is another object than uid names)."""
        with self._cond:
            current = self._objects[resource].get((namespace, name))
            if current is None or (uid is not None and current["metadata"]["uid"] != uid):
                return None
            last = copy.deepcopy(current)
            if mutate:
                mutate(last)
            last = self._stamp(last)
            del self._objects[resource][(namespace, name)]
            self._record("DELETED", resource, namespace, last, current)
            return last

    # Watch support.

    def wait_for_events(self, after_rv, deadline, drop_generation):
        """Blocks until there are events after after_rv, the monotonic deadline passes,
        watches are dropped (generation changed), after_rv leaves the history, or the
        simulator stops."""
        with self._cond:
            while True:
                if self._stopping:
                    return WaitResult(WaitResult.STOPPING)
                if drop_generation != self._drop_generation:
                    return WaitResult(WaitResult.DROPPED)
                if after_rv < self._floor:
                    return WaitResult(WaitResult.EXPIRED, floor=self._floor)
                if self._rv > after_rv:
                    start = after_rv - self._floor
                    return WaitResult(WaitResult.EVENTS,
                                      list(itertools.islice(self._history, start, None)))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return WaitResult(WaitResult.TIMEOUT)
                self._cond.wait(remaining)

    def watch_start(self):
        """(snapshot of the drop generation, the history floor, the current rv) for a new watch."""
        with self._cond:
            return self._drop_generation, self._floor, self._rv

    def drop_watches(self):
        """Every open watch ends now."""
        with self._cond:
            self._drop_generation += 1
            self._cond.notify_all()

    def expire_history(self):
        """Forgets all events: a watch from any older resourceVersion gets 410 Expired."""
        with self._cond:
            self._history.clear()
            self._floor = self._rv
            self._cond.notify_all()

    def stop(self):
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def notify_watchers(self):
        with self._cond:
            self._cond.notify_all()

    def pod_stats(self):
        with self._cond:
            return {"podsCreated": self._pods_created, "podsExisting": len(self._objects["pods"]),
                    "maxPodsExisting": self._max_pods}

    def reset_pod_stats(self):
        with self._cond:
            self._pods_created = 0
            self._max_pods = len(self._objects["pods"])

    # REQUIRES: self._cond held.

    def _stamp(self, obj):
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        return obj

    def _record(self, event_type, resource, namespace, obj, prev):
        self._history.append(Event(self._rv, event_type, resource, namespace, obj, prev))
        while len(self._history) > self._history_limit:
            self._floor = self._history.popleft().rv
        self._cond.notify_all()
