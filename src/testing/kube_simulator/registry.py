"""The API server's storage strategies for namespaces and pods: what create, get, list and
delete do beyond storing (metadata, defaulting, validation, graceful deletion, the
namespace lifecycle), independent of HTTP."""

import random
import re
import threading
import time
import uuid

import api_status
from container_state import now_rfc3339
from label_selector import fields_match, matches_all, parse_field_selector, parse_label_selector
from pod_spec import DNS_LABEL_MESSAGE, default_pod, qos_class, validate_metadata, validate_pod

POD_FIELDS = ("metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
              "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
              "status.podIP", "status.nominatedNodeName")
NAMESPACE_FIELDS = ("metadata.name", "status.phase")
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
_PROPAGATION_POLICIES = ("Orphan", "Background", "Foreground")
_GENERATED_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's: no vowels, no 0, 1, 3


class DeleteOptions:
    """gracePeriodSeconds, propagationPolicy, preconditions and dryRun, from the query and
    the DeleteOptions body (the query wins, as in the API server)."""

    def __init__(self, query, body):
        body = body or {}
        grace = query.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
        try:
            self.grace = None if grace is None else int(grace)
        except (TypeError, ValueError):
            raise api_status.bad_request(f'invalid gracePeriodSeconds "{grace}"')
        self.propagation = query.get("propagationPolicy", body.get("propagationPolicy"))
        if self.propagation is not None and self.propagation not in _PROPAGATION_POLICIES:
            raise api_status.invalid("DeleteOptions", "", [api_status.not_supported(
                "propagationPolicy", self.propagation, _PROPAGATION_POLICIES)])
        self.preconditions = body.get("preconditions") or {}
        dry_run = query.get("dryRun", body.get("dryRun"))
        self.dry_run = bool(dry_run) and "All" in (dry_run if isinstance(dry_run, list) else [dry_run])


class Registry:
    def __init__(self, store, kubelet):
        self._store = store
        self._kubelet = kubelet
        for name in PROTECTED_NAMESPACES:
            self.create_namespace({"metadata": {"name": name}})

    # Generic reads.

    def get(self, resource, namespace, name):
        obj = self._store.get(resource, namespace, name)
        if obj is None:
            raise api_status.not_found(resource, name)
        return obj

    def list(self, resource, namespace, label_selector, field_selector):
        """(matching objects, resourceVersion of the list). An unknown namespace lists empty."""
        labels, fields = self.selectors(resource, label_selector, field_selector)
        items, rv = self._store.list(resource, namespace)
        return [o for o in items if self.matches(resource, o, labels, fields)], rv

    def selectors(self, resource, label_selector, field_selector):
        supported = POD_FIELDS if resource == "pods" else NAMESPACE_FIELDS
        return parse_label_selector(label_selector), parse_field_selector(field_selector, supported)

    @staticmethod
    def matches(resource, obj, labels, fields):
        return (matches_all(labels, obj["metadata"].get("labels"))
                and fields_match(fields, field_values(resource, obj)))

    # Namespaces.

    def create_namespace(self, body, dry_run=False):
        namespace = _prepared(body, "Namespace")
        meta = namespace["metadata"]
        meta.pop("namespace", None)
        _generate_name(meta)
        causes = validate_metadata(meta)
        name = meta.get("name")
        if name and (len(name) > 63 or not _is_dns_label(name)):
            causes = [c for c in causes if c["field"] != "metadata.name"]
            causes.append(api_status.invalid_value("metadata.name", name, DNS_LABEL_MESSAGE))
        if causes:
            raise api_status.invalid("Namespace", name or "", causes)
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        namespace["spec"] = {"finalizers": ["kubernetes"]}
        namespace["status"] = {"phase": "Active"}
        if dry_run:
            if self._store.get("namespaces", "", name) is not None:
                raise api_status.already_exists("namespaces", name)
            return namespace
        return self._store.create("namespaces", namespace)

    def delete_namespace(self, name, options):
        if name in PROTECTED_NAMESPACES:
            raise api_status.forbidden("namespaces", name, "this namespace may not be deleted")
        namespace = self.get("namespaces", "", name)
        _check_preconditions("namespaces", namespace, options)
        if options.dry_run or namespace["metadata"].get("deletionTimestamp"):
            return namespace

        def terminate(ns):
            ns["metadata"]["deletionTimestamp"] = now_rfc3339()
            ns["metadata"]["deletionGracePeriodSeconds"] = 0
            ns["status"]["phase"] = "Terminating"
            return True
        terminating = self._store.update("namespaces", "", name, terminate)
        if terminating is None:
            raise api_status.not_found("namespaces", name)
        threading.Thread(target=self._finalize_namespace, args=(name, terminating["metadata"]["uid"]),
                         daemon=True, name=f"namespace-{name}").start()
        return terminating

    def _finalize_namespace(self, name, uid):
        """The namespace controller: deletes the namespace's pods, then the namespace."""
        while not self._kubelet.stopping:
            pods, _ = self._store.list("pods", name)
            if not pods:
                self._store.delete("namespaces", "", name, uid=uid)
                return
            for pod in pods:
                if not pod["metadata"].get("deletionTimestamp"):
                    try:
                        self.delete_pod(name, pod["metadata"]["name"], DeleteOptions({}, {}))
                    except api_status.ApiError:
                        pass  # deleted meanwhile
            time.sleep(0.1)

    # Pods.

    def create_pod(self, namespace_name, body, dry_run=False):
        pod = _prepared(body, "Pod")
        meta = pod["metadata"]
        if meta.setdefault("namespace", namespace_name) != namespace_name:
            raise api_status.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request")
        namespace = self._store.get("namespaces", "", namespace_name)
        if namespace is None:
            raise api_status.not_found("namespaces", namespace_name)
        default_pod(pod)
        for attempt in range(10):
            generated = _generate_name(meta)
            causes = validate_pod(pod)
            if causes:
                raise api_status.invalid("Pod", meta.get("name") or meta.get("generateName", ""), causes)
            if namespace["metadata"].get("deletionTimestamp"):
                reason = (f"unable to create new content in namespace {namespace_name} "
                          "because it is being terminated")
                raise api_status.forbidden("pods", meta["name"], reason, [
                    {"reason": "NamespaceTerminating", "message": reason, "field": "metadata.namespace"}])
            pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod["spec"])}
            try:
                if dry_run:
                    if self._store.get("pods", namespace_name, meta["name"]) is not None:
                        raise api_status.already_exists("pods", meta["name"])
                    return pod
                created = self._store.create("pods", pod)
            except api_status.ApiError as error:
                if generated and error.code == 409 and attempt < 9:
                    meta["name"] = None
                    continue
                raise
            self._kubelet.admit(created)
            return created

    def delete_pod(self, namespace, name, options):
        """Graceful deletion: the pod gets deletionTimestamp and the kubelet deletes it once
        its containers have stopped. Deleted at once (grace 0) when it is not bound to the
        node, has finished, or the caller asks for 0 seconds. Returns the pod."""
        pod = self.get("pods", namespace, name)
        _check_preconditions("pods", pod, options)
        grace = options.grace if options.grace is not None else pod["spec"]["terminationGracePeriodSeconds"]
        if not pod["spec"].get("nodeName") or pod["status"].get("phase") in ("Succeeded", "Failed"):
            grace = 0
        grace = 1 if grace < 0 else grace
        if options.dry_run:
            return pod
        meta = pod["metadata"]
        already = meta.get("deletionGracePeriodSeconds")
        if already is not None and grace >= already:
            return pod  # only a shorter grace period changes a pending deletion

        def mark(deleted):
            deleted["metadata"]["deletionTimestamp"] = _rfc3339_in(grace)
            deleted["metadata"]["deletionGracePeriodSeconds"] = grace
            return True
        if grace == 0:
            result = self._store.delete("pods", namespace, name, uid=meta["uid"], mutate=mark)
        else:
            result = self._store.update("pods", namespace, name, mark, uid=meta["uid"])
        if result is None:
            raise api_status.not_found("pods", name)
        self._kubelet.delete(meta["uid"], grace, object_removed=grace == 0)
        return result

    def patch_metadata(self, resource, namespace, name, patch, strategic=False):
        """A JSON merge patch or (`strategic`) a strategic merge patch of labels and
        annotations. A pod's spec may not change (the API server's message); other changes
        are ignored."""
        if not isinstance(patch, dict):
            raise api_status.bad_request("the patch must be a JSON object")
        kind = "Pod" if resource == "pods" else "Namespace"
        current = self.get(resource, namespace, name)
        patched = _merge_patch(current, patch, strategic)
        if resource == "pods" and patched.get("spec") != current["spec"]:
            raise api_status.invalid("Pod", name, [{
                "reason": "FieldValueForbidden", "field": "spec",
                "message": "Forbidden: pod updates may not change fields other than "
                           "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                           "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                           "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
                           "be set to 1 if it was previously negative)"}])
        meta = patched.get("metadata") or {}
        if resource == "namespaces":
            meta["labels"] = dict(meta.get("labels") or {}, **{"kubernetes.io/metadata.name": name})
        causes = validate_metadata({"name": name, "labels": meta.get("labels"),
                                    "annotations": meta.get("annotations")})
        if causes:
            raise api_status.invalid(kind, name, causes)

        def apply(pod):
            before = (pod["metadata"].get("labels"), pod["metadata"].get("annotations"))
            for key in ("labels", "annotations"):
                if meta.get(key):
                    pod["metadata"][key] = meta[key]
                else:
                    pod["metadata"].pop(key, None)
            return before != (pod["metadata"].get("labels"), pod["metadata"].get("annotations"))
        result = self._store.update(resource, namespace, name, apply, uid=current["metadata"]["uid"])
        if result is None:
            raise api_status.not_found(resource, name)
        return result


# The patch merge keys of the pod fields whose lists a strategic merge patch merges by
# element (k8s.io/api's patchMergeKey tags), wherever the field name occurs.
_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
               "volumes": "name", "env": "name", "volumeMounts": "mountPath",
               "ports": "containerPort", "imagePullSecrets": "name"}


def _merge_patch(target, patch, strategic=False):
    """RFC 7386: objects merge recursively, null removes a member, anything else replaces.
    A strategic merge patch also merges the lists of _MERGE_KEYS by their key (an element
    with "$patch": "delete" removes its match), so a patch that repeats a container's fields
    leaves the container as it was, defaults included."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # other strategic merge directives ($setElementOrder, $retainKeys, ...)
        if value is None:
            merged.pop(key, None)
        elif strategic and key in _MERGE_KEYS and isinstance(value, list):
            merged[key] = _merge_list(merged.get(key), value, _MERGE_KEYS[key])
        else:
            merged[key] = _merge_patch(merged.get(key), value, strategic)
    return merged


def _merge_list(target, patch, merge_key):
    merged = list(target) if isinstance(target, list) else []
    for element in patch:
        if not isinstance(element, dict) or merge_key not in element:
            return patch  # not a list of keyed objects: replaced, as JSON merge patch does
        index = next((i for i, old in enumerate(merged)
                      if isinstance(old, dict) and old.get(merge_key) == element[merge_key]), None)
        if element.get("$patch") == "delete":
            if index is not None:
                del merged[index]
        elif index is None:
            merged.append(_merge_patch({}, element, True))
        else:
            merged[index] = _merge_patch(merged[index], element, True)
    return merged


def field_values(resource, obj):
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    if resource == "namespaces":
        return {"metadata.name": meta["name"], "status.phase": status.get("phase", "")}
    return {
        "metadata.name": meta["name"], "metadata.namespace": meta["namespace"],
        "spec.nodeName": spec.get("nodeName", ""), "spec.restartPolicy": spec.get("restartPolicy", ""),
        "spec.schedulerName": spec.get("schedulerName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
        "status.phase": status.get("phase", ""), "status.podIP": status.get("podIP", ""),
        "status.nominatedNodeName": status.get("nominatedNodeName", ""),
    }


def _prepared(body, kind):
    """The client's object with server-owned metadata reset, as the API server does on create."""
    if not isinstance(body, dict):
        raise api_status.bad_request(f"the body of the request must be a JSON {kind} object")
    if body.get("kind", kind) != kind:
        raise api_status.bad_request(f'the kind in the data ({body.get("kind")}) does not match '
                                     f'the expected kind ({kind})')
    if body.get("apiVersion", "v1") != "v1":
        raise api_status.bad_request(f'the API version in the data ({body.get("apiVersion")}) does '
                                     'not match the expected API version (v1)')
    if not isinstance(body.get("metadata") or {}, dict):
        raise api_status.bad_request("metadata must be an object")
    obj = {"kind": kind, "apiVersion": "v1", **body}
    meta = dict(obj.get("metadata") or {})
    for field in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                  "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields"):
        meta.pop(field, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now_rfc3339()
    obj["metadata"] = meta
    return obj


def _generate_name(meta):
    """Fills name from generateName; True when it did."""
    if meta.get("name") or not meta.get("generateName"):
        return False
    meta["name"] = meta["generateName"] + "".join(random.choice(_GENERATED_NAME_CHARS) for _ in range(5))
    return True


def _check_preconditions(resource, obj, options):
    meta = obj["metadata"]
    for field, actual in (("uid", meta["uid"]), ("resourceVersion", meta["resourceVersion"])):
        expected = options.preconditions.get(field)
        if expected is not None and expected != actual:
            raise api_status.conflict(resource, meta["name"], (
                f"Precondition failed: {'UID' if field == 'uid' else 'ResourceVersion'} in precondition: "
                f"{expected}, {'UID' if field == 'uid' else 'ResourceVersion'} in object meta: {actual}"))


def _is_dns_label(name):
    return re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name) is not None


def _rfc3339_in(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
