"""What the API server does to an incoming object before storing it: defaulting (as
SetDefaults_Pod and the ServiceAccount and DefaultTolerationSeconds admission plugins do)
and validation (a subset of ValidatePod, with its field paths and messages)."""

import re

import api_status
import quantity

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")

DNS_LABEL_MESSAGE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                     "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                     "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS_SUBDOMAIN_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                         "characters, '-' or '.', and must start and end with an alphanumeric character "
                         "(e.g. 'example.com', regex used for validation is "
                         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_FIELD_REFS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
               "spec.serviceAccountName", "status.hostIP", "status.podIP", "status.podIPs",
               "status.hostIPs")


def default_pod(pod):
    spec = pod.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key or (t.get("operator") == "Exists" and not t.get("key"))
                   for t in tolerations if isinstance(t, dict)):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": 300})
    for container in _all_containers(spec):
        if not isinstance(container, dict):
            continue
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("imagePullPolicy", _default_pull_policy(container.get("image", "")))
        resources = container.setdefault("resources", {})
        if isinstance(resources, dict) and isinstance(resources.get("limits"), dict):
            requests = resources.setdefault("requests", {})
            for name, value in resources["limits"].items():
                requests.setdefault(name, value)
        for port in container.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")


def validate_pod(pod):
    """The field errors of a defaulted pod, as Invalid causes (empty when valid)."""
    causes = validate_metadata(pod.get("metadata", {}))
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return causes + [api_status.required("spec")]
    containers = spec.get("containers")
    if not containers:
        causes.append(api_status.required("spec.containers"))
    names = set()
    for kind, field in (("initContainers", "spec.initContainers"), ("containers", "spec.containers")):
        listed = spec.get(kind) or []
        if not isinstance(listed, list):
            causes.append(api_status.invalid_value(field, str(listed), "must be a list"))
            continue
        for index, container in enumerate(listed):
            causes += _validate_container(container, f"{field}[{index}]", names)
    policy = spec.get("restartPolicy")
    if policy not in _RESTART_POLICIES:
        causes.append(api_status.not_supported("spec.restartPolicy", policy, _RESTART_POLICIES))
    grace = spec.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or grace < 0:
        causes.append(api_status.invalid_value("spec.terminationGracePeriodSeconds", grace,
                                               "must be greater than or equal to 0"))
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and (not isinstance(deadline, int) or deadline <= 0):
        causes.append(api_status.invalid_value("spec.activeDeadlineSeconds", deadline,
                                               "must be between 1 and 2147483647, inclusive"))
    selector = spec.get("nodeSelector")
    if selector is not None and not isinstance(selector, dict):
        causes.append(api_status.invalid_value("spec.nodeSelector", str(selector), "must be an object"))
    return causes


def validate_metadata(metadata):
    causes = []
    name = metadata.get("name")
    if not name:
        causes.append(api_status.required("metadata.name"))
    elif not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        causes.append(api_status.invalid_value("metadata.name", name, DNS_SUBDOMAIN_MESSAGE))
    for field in ("labels", "annotations"):
        if not isinstance(metadata.get(field) or {}, dict):
            causes.append(api_status.invalid_value(f"metadata.{field}", str(metadata[field]),
                                                   "must be an object of strings"))
            metadata = dict(metadata, **{field: {}})
    for key, value in (metadata.get("labels") or {}).items():
        field = "metadata.labels"
        prefix, _, label_name = key.rpartition("/")
        if (not label_name or len(label_name) > 63 or not _LABEL_NAME.match(label_name)
                or (prefix and not _DNS_SUBDOMAIN.match(prefix))):
            causes.append(api_status.invalid_value(field, key, "name part must consist of alphanumeric "
                                                   "characters, '-', '_' or '.', and must start and "
                                                   "end with an alphanumeric character"))
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_NAME.match(value):
            causes.append(api_status.invalid_value(field, value,
                                                   "a valid label must be an empty string or consist "
                                                   "of alphanumeric characters, '-', '_' or '.', and "
                                                   "must start and end with an alphanumeric character"))
    for key, value in (metadata.get("annotations") or {}).items():
        if not isinstance(value, str):
            causes.append(api_status.invalid_value("metadata.annotations", key, "must be a string"))
    return causes


def qos_class(spec):
    containers = [c for c in _all_containers(spec) if isinstance(c, dict)]
    requests_and_limits = [(c.get("resources", {}).get("requests") or {},
                            c.get("resources", {}).get("limits") or {}) for c in containers]
    if not any(r or l for r, l in requests_and_limits):
        return "BestEffort"
    guaranteed = all(
        all(name in limits for name in ("cpu", "memory"))
        and all(quantity.parse(requests.get(n, limits[n])) == quantity.parse(limits[n]) for n in limits)
        for requests, limits in requests_and_limits)
    return "Guaranteed" if guaranteed else "Burstable"


def _validate_container(container, field, names):
    if not isinstance(container, dict):
        return [api_status.invalid_value(field, str(container), "must be an object")]
    causes = []
    name = container.get("name")
    if not name:
        causes.append(api_status.required(f"{field}.name"))
    elif not isinstance(name, str) or len(name) > 63 or not _DNS_LABEL.match(name):
        causes.append(api_status.invalid_value(f"{field}.name", name, DNS_LABEL_MESSAGE))
    elif name in names:
        causes.append(api_status.duplicate(f"{field}.name", name))
    names.add(name)
    if not container.get("image"):
        causes.append(api_status.required(f"{field}.image"))
    for key, choices in (("imagePullPolicy", _PULL_POLICIES),
                         ("terminationMessagePolicy", _MESSAGE_POLICIES)):
        if container.get(key) not in choices:
            causes.append(api_status.not_supported(f"{field}.{key}", container.get(key), choices))
    for key in ("command", "args"):
        value = container.get(key)
        if value is not None and (not isinstance(value, list)
                                  or not all(isinstance(v, str) for v in value)):
            causes.append(api_status.invalid_value(f"{field}.{key}", str(value),
                                                   "must be a list of strings"))
    for index, variable in enumerate(container.get("env") or []):
        causes += _validate_env(variable, f"{field}.env[{index}]")
    causes += _validate_resources(container.get("resources") or {}, f"{field}.resources")
    return causes


def _validate_env(variable, field):
    causes = []
    name = variable.get("name") if isinstance(variable, dict) else None
    if not name:
        return [api_status.required(f"{field}.name")]
    if not _ENV_NAME.match(name):
        causes.append(api_status.invalid_value(
            f"{field}.name", name, "a valid environment variable name must consist of alphabetic "
            "characters, digits, '_', '-', or '.', and must not start with a digit"))
    source = variable.get("valueFrom")
    if source is not None:
        if "value" in variable and variable["value"]:
            causes.append(api_status.invalid_value(
                f"{field}.valueFrom", "", "may not be specified when `value` is not empty"))
        path = (source.get("fieldRef") or {}).get("fieldPath")
        if path is None:
            causes.append(api_status.invalid_value(
                f"{field}.valueFrom", "", "the simulator supports only fieldRef sources"))
        elif path not in _FIELD_REFS and not re.match(r"^metadata\.(labels|annotations)\['[^']+'\]$", path):
            causes.append(api_status.not_supported(f"{field}.valueFrom.fieldRef.fieldPath", path,
                                                   _FIELD_REFS))
    return causes


def _validate_resources(resources, field):
    causes = []
    if not isinstance(resources, dict):
        return [api_status.invalid_value(field, str(resources), "must be an object")]
    parsed = {}
    for kind in ("limits", "requests"):
        for name, value in (resources.get(kind) or {}).items():
            amount = quantity.parse(value)
            if amount is None:
                causes.append(api_status.invalid_value(f"{field}.{kind}[{name}]", str(value),
                                                       quantity.SYNTAX_ERROR))
            elif amount < 0:
                causes.append(api_status.invalid_value(f"{field}.{kind}[{name}]", str(value),
                                                       "must be greater than or equal to 0"))
            else:
                parsed[(kind, name)] = amount
    for (kind, name), amount in parsed.items():
        limit = parsed.get(("limits", name))
        if kind == "requests" and limit is not None and amount > limit:
            causes.append(api_status.invalid_value(
                f"{field}.requests", str(resources["requests"][name]),
                f"must be less than or equal to {name} limit of {resources['limits'][name]}"))
    return causes


def _default_pull_policy(image):
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _all_containers(spec):
    init = spec.get("initContainers") or []
    main = spec.get("containers") or []
    return (init if isinstance(init, list) else []) + (main if isinstance(main, list) else [])
