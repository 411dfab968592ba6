"""The HTTP front of the simulator: routing of the core/v1 subset, bearer-token
authentication, injected storms, JSON, Table and chunked responses. HTTP/1.1 with
keep-alive; one thread per connection."""

import base64
import http.server
import json
import re
import select
import socket
import ssl
import struct
import sys
import traceback
import urllib.parse

import api_status
import control_api
import discovery
import openapi
import openapi_v2
import table
from pod_logs import serve_logs
from protobuf_body import decode_namespace
from registry import DeleteOptions
from query_params import parse_bool
from watch_stream import WatchRequest, serve_watch


class Context:
    """Everything a request may use; built by the main program."""

    def __init__(self, **parts):
        self.store = parts["store"]
        self.registry = parts["registry"]
        self.kubelet = parts["kubelet"]
        self.node = parts["node"]
        self.engine = parts["engine"]
        self.faults = parts["faults"]
        self.stats = parts["stats"]
        self.token = parts["token"]
        self.bookmark_interval = parts["bookmark_interval"]
        self.instance_id = parts["instance_id"]
        self.docker_host = parts["docker_host"]
        self.verbose = parts["verbose"]
        self.address = None  # host:port, once listening


_NS = r"(?P<namespace>[^/]+)"
_NAME = r"(?P<name>[^/]+)"
_COLLECTION = {"GET": "list", "POST": "create"}
_ITEM = {"GET": "get", "DELETE": "delete", "PATCH": "patch"}
# (path pattern, handler method, HTTP method -> Kubernetes verb)
_ROUTES = [
    (r"/version", "_version", {"GET": "get"}),
    (r"/(healthz|livez|readyz)", "_health", {"GET": "get"}),
    (r"/api", "_api_versions", {"GET": "get"}),
    (r"/api/v1", "_api_resources", {"GET": "get"}),
    (r"/apis", "_api_groups", {"GET": "get"}),
    (r"/openapi/v2", "_openapi_v2", {"GET": "get"}),
    (r"/openapi/v3", "_openapi_root", {"GET": "get"}),
    (r"/openapi/v3/api/v1", "_openapi_core_v1", {"GET": "get"}),
    (r"/api/v1/namespaces", "_namespaces", _COLLECTION),
    (rf"/api/v1/namespaces/{_NAME}", "_namespace", _ITEM),
    (r"/api/v1/pods", "_pods", {"GET": "list"}),
    (rf"/api/v1/namespaces/{_NS}/pods", "_pods", _COLLECTION),
    (rf"/api/v1/namespaces/{_NS}/pods/{_NAME}", "_pod", _ITEM),
    (rf"/api/v1/namespaces/{_NS}/pods/{_NAME}/status", "_pod_status", {"GET": "get"}),
    (rf"/api/v1/namespaces/{_NS}/pods/{_NAME}/log", "_pod_log", {"GET": "get"}),
    (r"/api/v1/nodes", "_nodes", {"GET": "list"}),
    (rf"/api/v1/nodes/{_NAME}", "_node", {"GET": "get"}),
    (r"/api/v1/events", "_events", {"GET": "list"}),
    (rf"/api/v1/namespaces/{_NS}/events", "_events", {"GET": "list"}),
]
_COMPILED = [(re.compile(f"^{pattern}$"), handler, verbs) for pattern, handler, verbs in _ROUTES]
_JSON_TYPES = ("application/json", "application/merge-patch+json",
               "application/strategic-merge-patch+json")


class ApiServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address, context):
        super().__init__(address, ApiHandler)
        self.context = context

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class ApiHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-simulator"
    sys_version = ""

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    def log_message(self, format, *args):
        if self.server.context.verbose:
            super().log_message(format, *args)

    # Request handling.

    def _handle(self, method):
        context = self.server.context
        self._streaming = False
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        context.stats.request(method)
        try:
            body = self._read_body()
            if path == "/simulator" or path.startswith("/simulator/"):
                control_api.handle(self, context, method, path, self._json(body))
                return
            if context.token and self.headers.get("Authorization") != f"Bearer {context.token}":
                raise api_status.unauthorized()
            if path.startswith("/api/v1/watch/"):
                path, query = "/api/v1/" + path[len("/api/v1/watch/"):], dict(query, watch="true")
            handler, params, verb = _route(method, path, query)
            error = context.faults.error_for(method, verb, path)
            if error is not None:
                raise error
            if handler is None:
                raise api_status.method_not_allowed() if params is not None else api_status.unknown_path()
            getattr(self, handler)(method, params, query, body)
        except api_status.ApiError as error:
            self._fail(error)
        except Exception:
            print(f"kube_simulator: {method} {self.path}: {traceback.format_exc()}", file=sys.stderr,
                  flush=True)
            self._fail(api_status.internal_error(f"{sys.exc_info()[1]}"))

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data
        return self.rfile.read(length) if length else b""

    def _json(self, body):
        if not body:
            return None
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if content_type not in _JSON_TYPES:
            # kubectl's typed commands (run, create deployment...) send protobuf: use -f with YAML.
            raise api_status.unsupported_media_type(content_type)
        try:
            return json.loads(body)
        except ValueError as error:
            raise api_status.bad_request(f"invalid JSON in the request body: {error}")

    def _strategic(self):
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        return content_type == "application/strategic-merge-patch+json"

    def _fail(self, error):
        if self._streaming:
            self.abort()  # too late for a status: the client sees the stream break
            return
        self.send_json(error.code, error.body(), error.headers)

    # Routes.

    def _version(self, method, params, query, body):
        self.send_json(200, discovery.SERVER_VERSION)

    def _health(self, method, params, query, body):
        self.send_bytes(200, b"ok", "text/plain")

    def _api_versions(self, method, params, query, body):
        self.send_json(200, discovery.api_versions(self.server.context.address))

    def _api_resources(self, method, params, query, body):
        self.send_json(200, discovery.core_v1_resources())

    def _api_groups(self, method, params, query, body):
        self.send_json(200, discovery.api_groups())

    def _openapi_v2(self, method, params, query, body):
        negotiated = openapi_v2.negotiate(self.headers.get("Accept"))
        if negotiated is None:
            raise api_status.not_acceptable(self.headers.get("Accept"))
        self.send_bytes(200, *negotiated)

    def _openapi_root(self, method, params, query, body):
        self.send_json(200, openapi.root())

    def _openapi_core_v1(self, method, params, query, body):
        self.send_json(200, openapi.core_v1())

    def _namespaces(self, method, params, query, body):
        registry = self.server.context.registry
        if method == "POST":
            protobuf = self.headers.get("Content-Type", "").startswith("application/vnd.kubernetes.protobuf")
            namespace = decode_namespace(body) if protobuf else self._json(body)
            self._send_object(201, "namespaces", registry.create_namespace(namespace, _dry_run(query)))
        else:
            self._list("namespaces", "NamespaceList", None, query)

    def _namespace(self, method, params, query, body):
        registry = self.server.context.registry
        if method == "DELETE":
            options = DeleteOptions(query, self._json(body))
            self._send_object(200, "namespaces", registry.delete_namespace(params["name"], options))
        elif method == "PATCH":
            self._send_object(200, "namespaces",
                              registry.patch_metadata("namespaces", "", params["name"], self._json(body),
                                                      self._strategic()))
        else:
            self._send_object(200, "namespaces", registry.get("namespaces", "", params["name"]))

    def _pods(self, method, params, query, body):
        namespace = params.get("namespace")
        if method == "POST":
            created = self.server.context.registry.create_pod(namespace, self._json(body), _dry_run(query))
            self._send_object(201, "pods", created)
        else:
            self._list("pods", "PodList", namespace, query)

    def _pod(self, method, params, query, body):
        registry = self.server.context.registry
        namespace, name = params["namespace"], params["name"]
        if method == "DELETE":
            pod = registry.delete_pod(namespace, name, DeleteOptions(query, self._json(body)))
        elif method == "PATCH":
            pod = registry.patch_metadata("pods", namespace, name, self._json(body), self._strategic())
        else:
            pod = registry.get("pods", namespace, name)
        self._send_object(200, "pods", pod)

    def _pod_status(self, method, params, query, body):
        self._send_object(200, "pods", self.server.context.registry.get(
            "pods", params["namespace"], params["name"]))

    def _pod_log(self, method, params, query, body):
        serve_logs(self, self.server.context, params["namespace"], params["name"], query)

    def _nodes(self, method, params, query, body):
        node = self.server.context.node.as_object()
        rv = self.server.context.store.current_rv()
        if self._wants_table():
            self.send_json(200, table.table("nodes", [node], self._wants_table(), rv,
                                           query.get("includeObject")))
        else:
            self.send_json(200, {"kind": "NodeList", "apiVersion": "v1",
                                 "metadata": {"resourceVersion": str(rv)}, "items": [_item(node)]})

    def _node(self, method, params, query, body):
        node = self.server.context.node.as_object()
        if params["name"] != node["metadata"]["name"]:
            raise api_status.not_found("nodes", params["name"])
        self._send_object(200, "nodes", node)

    def _events(self, method, params, query, body):
        rv = str(self.server.context.store.current_rv())
        if self._wants_table():
            self.send_json(200, table.table("events", [], self._wants_table(), rv, "None"))
        else:
            self.send_json(200, {"kind": "EventList", "apiVersion": "v1",
                                 "metadata": {"resourceVersion": rv}, "items": []})

    def _list(self, resource, list_kind, namespace, query):
        context = self.server.context
        if parse_bool(query.get("watch"), "watch"):
            serve_watch(self, context, WatchRequest(resource, namespace, query, self.headers.get("Accept")))
            return
        items, rv = context.registry.list(resource, namespace, query.get("labelSelector"),
                                          query.get("fieldSelector"))
        items, metadata = _paginate(items, rv, query)
        table_version = self._wants_table()
        if table_version:
            result = table.table(resource, items, table_version, rv, query.get("includeObject"))
            result["metadata"].update(metadata)
            self.send_json(200, result)
        else:
            self.send_json(200, {"kind": list_kind, "apiVersion": "v1", "metadata": metadata,
                                 "items": [_item(o) for o in items]})

    def _send_object(self, code, resource, obj):
        table_version = self._wants_table()
        if table_version:
            obj = table.table(resource, [obj], table_version, obj["metadata"].get("resourceVersion", ""),
                              "Metadata")
        self.send_json(code, obj)

    def _wants_table(self):
        return table.wanted_table_version(self.headers.get("Accept"))

    # Responses (the interface watch_stream, pod_logs and control_api write through).

    def send_json(self, code, obj, headers=None):
        self.send_bytes(code, json.dumps(obj, separators=(",", ":")).encode() + b"\n",
                        "application/json", headers)

    def send_bytes(self, code, data, content_type, headers=None):
        self.server.context.stats.response(code)
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self, code, content_type):
        self.server.context.stats.response(code)
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self._streaming = True

    def write_chunk(self, data):
        """False when the client has gone."""
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            return True
        except OSError:
            self.close_connection = True
            return False

    def write_json_line(self, obj):
        return self.write_chunk(json.dumps(obj, separators=(",", ":")).encode() + b"\n")

    def end_chunked(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True
        self._streaming = False

    def abort(self):
        """Ends the connection without finishing the response, as a broken network does."""
        self.close_connection = True
        self._streaming = False
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def client_gone(self):
        """True when the client has closed its end (or sent anything, which an HTTP/1.1
        client waiting for a streamed response never does)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            if isinstance(self.connection, ssl.SSLSocket):  # no MSG_PEEK through TLS
                self.connection.setblocking(False)
                try:
                    self.connection.recv(1)
                finally:
                    self.connection.setblocking(True)
                return True
            return self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        except OSError:
            return True


def _route(method, path, query):
    """(handler name or None, path parameters or None when no route matches, verb)."""
    for pattern, handler, verbs in _COMPILED:
        match = pattern.match(path)
        if match:
            verb = verbs.get(method, "")
            if verb == "list" and parse_bool(query.get("watch"), "watch"):
                verb = "watch"
            return (handler if method in verbs else None), match.groupdict(), verb
    return None, None, ""


def _dry_run(query):
    return query.get("dryRun") == "All"


def _item(obj):
    """A list item: the API server's lists leave kind and apiVersion to the list."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _paginate(items, rv, query):
    """limit and continue: pages in (namespace, name) order; a page continues after the
    last key of the previous one, against the current state (not a snapshot)."""
    metadata = {"resourceVersion": str(rv)}
    token = query.get("continue")
    if token:
        try:
            start = json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
        except (ValueError, KeyError, TypeError):
            raise api_status.bad_request("continue key is not valid: incorrect encoded start resourceVersion")
        items = [o for o in items if [o["metadata"].get("namespace", ""), o["metadata"]["name"]] > start]
    try:
        limit = int(query.get("limit") or 0)
    except ValueError:
        raise api_status.bad_request(f'invalid limit "{query.get("limit")}"')
    if 0 < limit < len(items):
        last = items[limit - 1]["metadata"]
        metadata["continue"] = base64.urlsafe_b64encode(json.dumps(
            {"rv": rv, "start": [last.get("namespace", ""), last["name"]]}).encode()).decode()
        metadata["remainingItemCount"] = len(items) - limit
        items = items[:limit]
    return items, metadata
