"""Faults that tests inject (429 and 500 storms, watches cut after K events) and the
request statistics they assert on."""

import collections
import threading
import time

from api_status import bad_request, internal_error, too_many_requests


class Storm:
    """Answers matching requests with 429 or 500, for the next count requests and/or for
    seconds; method (HTTP), verb (get list watch create delete patch update) and
    pathPrefix narrow which requests match."""

    def __init__(self, spec):
        self.status = spec.get("status", 429)
        if self.status not in (429, 500):
            raise bad_request("storm status must be 429 or 500")
        self.remaining = spec.get("count")
        seconds = spec.get("seconds")
        if self.remaining is None and seconds is None:
            raise bad_request("storm needs count and/or seconds")
        for name, value in (("count", self.remaining), ("seconds", seconds)):
            if value is not None and (not isinstance(value, (int, float)) or value < 0):
                raise bad_request(f"storm {name} must be a non-negative number")
        self.until = time.monotonic() + seconds if seconds is not None else None
        self.method = spec.get("method")
        self.verb = spec.get("verb")
        self.path_prefix = spec.get("pathPrefix", "")
        self.retry_after = int(spec.get("retryAfterSeconds", 1))
        self.message = spec.get("message", "simulated internal error")

    def expired(self):
        return ((self.remaining is not None and self.remaining <= 0)
                or (self.until is not None and time.monotonic() >= self.until))

    def matches(self, method, verb, path):
        return ((self.method is None or self.method.upper() == method)
                and (self.verb is None or self.verb == verb)
                and path.startswith(self.path_prefix))

    def error(self):
        if self.status == 429:
            return too_many_requests(self.retry_after)
        return internal_error(self.message)

    def describe(self):
        return {"status": self.status, "remaining": self.remaining,
                "secondsLeft": None if self.until is None else max(0.0, self.until - time.monotonic()),
                "method": self.method, "verb": self.verb, "pathPrefix": self.path_prefix}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._storms = []
        self._drop_watch_every = 0
        self._drop_abrupt = False
        self._log_follow_drops = 0

    def add_storm(self, spec):
        storm = Storm(spec)
        with self._lock:
            self._storms.append(storm)
        return storm.describe()

    def clear_storms(self):
        with self._lock:
            self._storms.clear()

    def storms(self):
        with self._lock:
            self._storms = [s for s in self._storms if not s.expired()]
            return [s.describe() for s in self._storms]

    def error_for(self, method, verb, path):
        """The ApiError a storm answers this request with, or None; counts it against the storm."""
        with self._lock:
            self._storms = [s for s in self._storms if not s.expired()]
            for storm in self._storms:
                if storm.matches(method, verb, path):
                    if storm.remaining is not None:
                        storm.remaining -= 1
                    return storm.error()
        return None

    @property
    def drop_watch_every(self):
        """Every watch ends after this many events (0: never)."""
        with self._lock:
            return self._drop_watch_every

    @property
    def drop_abrupt(self):
        """Whether dropped watches end with a connection reset instead of the final chunk."""
        with self._lock:
            return self._drop_abrupt

    def set_watch_drops(self, every_events=None, abrupt=False):
        """How watches are dropped: abruptly or cleanly; with every_events, also after that
        many events each (0: not)."""
        if every_events is not None and (not isinstance(every_events, int) or every_events < 0):
            raise bad_request("everyEvents must be a non-negative integer")
        with self._lock:
            if every_events is not None:
                self._drop_watch_every = every_events
            self._drop_abrupt = bool(abrupt)

    def drop_log_follows(self):
        """Ends every log follow now open, as the API server does when it times one out: at
        the next piece of output, which it does not send. Returns how many drops so far."""
        with self._lock:
            self._log_follow_drops += 1
            return self._log_follow_drops

    @property
    def log_follow_drops(self):
        """How many times log follows were dropped; a follow older than the last drop ends."""
        with self._lock:
            return self._log_follow_drops

class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self._watches_open = 0
        self.reset()

    def reset(self):
        """Zeroes the counters; watchesOpen stays the number of watches open now."""
        with self._lock:
            self._requests = collections.Counter()
            self._statuses = collections.Counter()
            self._watches_opened = 0

    def request(self, method):
        with self._lock:
            self._requests[method] += 1

    def response(self, code):
        with self._lock:
            self._statuses[code] += 1

    def watch_opened(self):
        with self._lock:
            self._watches_opened += 1
            self._watches_open += 1

    def watch_closed(self):
        with self._lock:
            self._watches_open -= 1

    def snapshot(self):
        with self._lock:
            return {
                "requests": dict(self._requests),
                "requestsTotal": sum(self._requests.values()),
                "responsesByStatus": {str(k): v for k, v in sorted(self._statuses.items())},
                "tooManyRequestsServed": self._statuses[429],
                "internalErrorsServed": self._statuses[500],
                "watchesOpened": self._watches_opened,
                "watchesOpen": self._watches_open,
            }
