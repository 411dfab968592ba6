"""The one simulated node: its labels and taints, and the scheduler's decision whether a
pod fits on it (nodeName, taints and tolerations, nodeSelector, required node affinity,
checked in the order of the default scheduler's filter plugins)."""

import threading
import time

from api_status import bad_request
from label_selector import matches_all, requirement_from_expression

_NO_NODE = "0/1 nodes are available: "
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


class SimulatedNode:
    def __init__(self, labels, created):
        self._cond = threading.Condition()
        self._labels = dict(labels)
        self._taints = []
        self._generation = 0
        self.created = created

    @property
    def name(self):
        with self._cond:
            return self._labels.get("kubernetes.io/hostname", "sim-node")

    def describe(self):
        with self._cond:
            return {"name": self._labels.get("kubernetes.io/hostname", "sim-node"),
                    "labels": dict(self._labels), "taints": [dict(t) for t in self._taints]}

    def update(self, labels=None, taints=None):
        """Replaces labels and/or taints; pods waiting to be scheduled are tried again."""
        if labels is not None and (not isinstance(labels, dict) or
                                   not all(isinstance(v, str) for v in labels.values())):
            raise bad_request("labels must be an object of strings")
        if taints is not None:
            taints = [_checked_taint(t) for t in taints]
        with self._cond:
            if labels is not None:
                self._labels = dict(labels)
            if taints is not None:
                self._taints = taints
            self._generation += 1
            self._cond.notify_all()

    def generation(self):
        with self._cond:
            return self._generation

    def wait_for_change(self, generation, timeout):
        with self._cond:
            self._cond.wait_for(lambda: self._generation != generation, timeout)

    def unschedulable_message(self, spec):
        """None when the pod fits; else the scheduler's FailedScheduling message."""
        with self._cond:
            labels = dict(self._labels)
            taints = list(self._taints)
        for taint in taints:
            if taint["effect"] in ("NoSchedule", "NoExecute") and not _tolerated(
                    taint, spec.get("tolerations") or []):
                rendered = f'{{{taint["key"]}: {taint.get("value", "")}}}'
                return _NO_NODE + f"1 node(s) had untolerated taint {rendered}."
        selector = spec.get("nodeSelector") or {}
        if any(labels.get(k) != v for k, v in selector.items()) or not _affinity_matches(
                spec, labels, self.name):
            return _NO_NODE + "1 node(s) didn't match Pod's node affinity/selector."
        return None

    def as_object(self):
        with self._cond:
            name = self._labels.get("kubernetes.io/hostname", "sim-node")
            spec = {"taints": [dict(t) for t in self._taints]} if self._taints else {}
            labels = dict(self._labels)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return {
            "kind": "Node", "apiVersion": "v1",
            "metadata": {"name": name, "uid": "00000000-0000-4000-8000-00000000a0de",
                         "resourceVersion": "1", "creationTimestamp": self.created,
                         "labels": labels},
            "spec": spec,
            "status": {
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "kubelet is posting ready status",
                                "lastHeartbeatTime": now, "lastTransitionTime": self.created}],
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                              {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": "v1.32.0-sim", "containerRuntimeVersion": "docker://",
                             "operatingSystem": "linux", "architecture": "amd64"},
            },
        }


def _checked_taint(taint):
    if not isinstance(taint, dict) or not taint.get("key"):
        raise bad_request("a taint needs a key")
    if taint.get("effect") not in _TAINT_EFFECTS:
        raise bad_request(f"taint effect must be one of {', '.join(_TAINT_EFFECTS)}")
    checked = {"key": taint["key"], "effect": taint["effect"]}
    if taint.get("value"):
        checked["value"] = str(taint["value"])
    return checked


def _tolerated(taint, tolerations):
    for toleration in tolerations:
        if toleration.get("effect") and toleration["effect"] != taint["effect"]:
            continue
        if toleration.get("operator") == "Exists":
            if not toleration.get("key") or toleration["key"] == taint["key"]:
                return True
        elif (toleration.get("key") == taint["key"]
              and toleration.get("value", "") == taint.get("value", "")):
            return True
    return False


def _affinity_matches(spec, labels, node_name):
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if not required:
        return True
    field = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    for term in required.get("nodeSelectorTerms") or []:
        expressions = term.get("matchExpressions") or []
        fields = term.get("matchFields") or []
        if not expressions and not fields:
            continue  # an empty term matches no node
        if (matches_all([requirement_from_expression(e, field) for e in expressions], labels)
                and matches_all([requirement_from_expression(f, field) for f in fields],
                                {"metadata.name": node_name})):
            return True
    return False
