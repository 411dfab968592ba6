#!/usr/bin/python3
"""kube_simulator: a Kubernetes API server (core/v1 namespaces and pods, with watch, logs
and graceful deletion) and a one-node kubelet that runs each pod's containers for real
through a Docker engine. For POP's tests only: no real kube-apiserver can be installed
here. kubectl and python3-kubernetes accept it as a real server.

  /usr/bin/python3 kube_simulator.py --docker-host unix:///path/docker.sock
      [--listen 127.0.0.1:0] [--port-file F] [--kubeconfig-out F] [--token T]
      [--node-label k=v ...] [--node-taint key[=value]:Effect ...] [--event-history N]
      [--bookmark-interval SECONDS] [--image-pull-backoff SECONDS]
      [--storm JSON ...] [--drop-watch-every K] [--state-dir DIR] [--verbose]
      [--tls [--tls-cert-out F]]

When ready it prints "kube_simulator listening on http://127.0.0.1:PORT", writes PORT to
--port-file and, with --kubeconfig-out, a kubeconfig (that server, a user with the token,
a current context with namespace default) that kubectl and python3-kubernetes use as is.
With --token every Kubernetes API request needs "Authorization: Bearer T" (else 401);
the test-only control API under /simulator/ (see control_api.py) needs none. kubectl
(client-go) never sends credentials over plain http: for kubectl with --token add --tls,
which serves https with a fresh self-signed certificate (made with the openssl command)
that the kubeconfig trusts (certificate-authority-data; --tls-cert-out also writes it).
--storm takes the JSON of POST /simulator/storms, e.g. '{"status": 429, "count": 5}'.
SIGTERM or SIGINT: stops, removing every container it created, and exits 0.

Standard library only (and the openssl command for --tls); run with Debian's
/usr/bin/python3 (3.11).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import argparse
import base64
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import uuid

from api_server import ApiServer, Context
from api_status import ApiError
from container_state import now_rfc3339
from engine_client import EngineClient, EngineError
from faults import Faults, Stats
from kubelet import Kubelet
from node import SimulatedNode
from object_store import ObjectStore
from pod_worker import Timing
from registry import Registry

DEFAULT_NODE_LABELS = {"kubernetes.io/hostname": "sim-node", "kubernetes.io/os": "linux"}


def main():
    args = _parse_arguments()
    engine = EngineClient(args.docker_host)
    try:
        engine.ping()
    except EngineError as error:
        sys.exit(f"kube_simulator: no container engine: {error.message}")
    instance_id = uuid.uuid4().hex[:12]
    state_dir = args.state_dir or tempfile.mkdtemp(prefix="kube-simulator-")
    os.makedirs(state_dir, exist_ok=True)

    node = SimulatedNode(dict(DEFAULT_NODE_LABELS, **args.node_label), now_rfc3339())
    faults = Faults()
    try:
        node.update(taints=args.node_taint)
        for storm in args.storm:
            faults.add_storm(storm)
        faults.set_watch_drops(args.drop_watch_every)
    except ApiError as error:
        sys.exit(f"kube_simulator: {error.message}")
    store = ObjectStore(args.event_history)
    kubelet = Kubelet(store, engine, node, instance_id, state_dir,
                      Timing(backoff=args.image_pull_backoff, max_backoff=max(10.0, args.image_pull_backoff)))
    context = Context(store=store, registry=Registry(store, kubelet), kubelet=kubelet, node=node,
                      engine=engine, faults=faults, stats=Stats(), token=args.token,
                      bookmark_interval=args.bookmark_interval, instance_id=instance_id,
                      docker_host=args.docker_host, verbose=args.verbose)

    host, _, port = args.listen.rpartition(":")
    server = ApiServer((host, int(port)), context)
    certificate = None
    if args.tls:
        certificate = _self_signed_certificate(state_dir)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(*certificate)
        # The handshake happens on the connection's thread, not in the accept loop.
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        if args.tls_cert_out:
            shutil.copyfile(certificate[0], args.tls_cert_out)
    client_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    context.address = f"{client_host}:{server.server_address[1]}"
    url = f"{'https' if args.tls else 'http'}://{context.address}"
    if args.port_file:
        _write_atomically(args.port_file, f"{server.server_address[1]}\n")
    if args.kubeconfig_out:
        _write_atomically(args.kubeconfig_out, _kubeconfig(url, args.token, certificate and certificate[0]))

    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    print(f"kube_simulator listening on {url}", flush=True)
    stop.wait()

    store.stop()  # ends every watch
    server.shutdown()
    kubelet.stop()
    server.server_close()
    if not args.state_dir:
        shutil.rmtree(state_dir, ignore_errors=True)


def _parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docker-host", required=True, help="unix:///path/to/docker.sock")
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free one)")
    parser.add_argument("--port-file", help="where to write the port once listening")
    parser.add_argument("--kubeconfig-out", help="where to write a kubeconfig for this server")
    parser.add_argument("--token", help="the bearer token every API request must carry")
    parser.add_argument("--node-label", action="append", default=[], type=_key_value,
                        help="k=v: a label of the simulated node (adds to or overrides "
                             "kubernetes.io/hostname=sim-node, kubernetes.io/os=linux)")
    parser.add_argument("--node-taint", action="append", default=[], type=_taint,
                        help="key[=value]:NoSchedule|PreferNoSchedule|NoExecute")
    parser.add_argument("--event-history", type=int, default=1000,
                        help="how many change events a watch can replay (default 1000)")
    parser.add_argument("--bookmark-interval", type=float, default=1.0,
                        help="seconds between BOOKMARK events on watches that allow them")
    parser.add_argument("--image-pull-backoff", type=float, default=1.0,
                        help="seconds of the first image pull back-off (doubling up to 10)")
    parser.add_argument("--storm", action="append", default=[], type=json.loads,
                        help="a 429 or 500 storm from the start, as the control API's JSON")
    parser.add_argument("--drop-watch-every", type=int, default=0,
                        help="end every watch after K events (0: never)")
    parser.add_argument("--state-dir", help="where termination-message files live (default: a "
                                            "temporary directory, removed at exit)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--tls", action="store_true",
                        help="serve https with a self-signed certificate for 127.0.0.1 and localhost")
    parser.add_argument("--tls-cert-out", help="with --tls: where to write the certificate (PEM)")
    args = parser.parse_args()
    args.node_label = dict(args.node_label)
    return args


def _key_value(text):
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected k=v, not {text}")
    return key, value


def _taint(text):
    rest, separator, effect = text.rpartition(":")
    key, _, value = rest.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected key[=value]:Effect, not {text}")
    return {"key": key, "value": value, "effect": effect}


def _self_signed_certificate(directory):
    """(certificate, key) paths of a new certificate that is its own CA."""
    certificate, key = os.path.join(directory, "tls.crt"), os.path.join(directory, "tls.key")
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "30", "-subj", "/CN=kube-simulator", "-keyout", key, "-out", certificate,
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,digitalSignature,keyCertSign"],
            check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"kube_simulator: --tls needs the openssl command: {getattr(error, 'stderr', error)}")
    return certificate, key


def _kubeconfig(url, token, ca_file):
    user = f"    token: {json.dumps(token)}\n" if token else "    {}\n"
    authority = ""
    if ca_file:
        with open(ca_file, "rb") as file:
            authority = f"    certificate-authority-data: {base64.b64encode(file.read()).decode()}\n"
    return ("apiVersion: v1\n"
            "kind: Config\n"
            "clusters:\n"
            "- name: kube-simulator\n"
            "  cluster:\n"
            f"    server: {url}\n"
            f"{authority}"
            "users:\n"
            "- name: kube-simulator\n"
            "  user:\n"
            f"{user}"
            "contexts:\n"
            "- name: kube-simulator\n"
            "  context:\n"
            "    cluster: kube-simulator\n"
            "    user: kube-simulator\n"
            "    namespace: default\n"
            "current-context: kube-simulator\n"
            "preferences: {}\n")


def _write_atomically(path, text):
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w") as file:
        file.write(text)
    os.replace(temporary, path)


if __name__ == "__main__":
    main()
