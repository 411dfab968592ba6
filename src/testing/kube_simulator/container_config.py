"""A pod's container as a Docker Engine container configuration: command and args,
env (with fieldRef values and $(VAR) expansion, as the kubelet does), workingDir,
resource limits, security context user, the termination-message bind mount, labels."""

import re

import quantity

# Labels the simulator puts on every container it creates: INSTANCE_LABEL finds all of one
# simulator's containers (for cleanup at exit); the io.kubernetes.* ones are the kubelet's.
INSTANCE_LABEL = "pop.kube-simulator/instance"
NETWORK_MODE_ANNOTATION = "kube-simulator.pop/network-mode"
HOST_IP = "127.0.0.1"


def engine_name(pod, container_name):
    meta = pod["metadata"]
    return f'k8s_{container_name}_{meta["name"]}_{meta["namespace"]}_{meta["uid"]}_0'


def engine_config(pod, container, instance_id, message_file, node_name):
    meta, spec = pod["metadata"], pod["spec"]
    env = _environment(pod, container, node_name)
    config = {
        "Image": container["image"],
        "Env": [f"{name}={value}" for name, value in env.items()],
        "Tty": bool(container.get("tty")),
        "OpenStdin": bool(container.get("stdin")),
        "Labels": {
            INSTANCE_LABEL: instance_id,
            "io.kubernetes.pod.name": meta["name"],
            "io.kubernetes.pod.namespace": meta["namespace"],
            "io.kubernetes.pod.uid": meta["uid"],
            "io.kubernetes.container.name": container["name"],
        },
        "HostConfig": {
            "NetworkMode": (meta.get("annotations") or {}).get(NETWORK_MODE_ANNOTATION, "host"),
            "Binds": [f'{message_file}:{container["terminationMessagePath"]}'],
        },
    }
    if container.get("command") is not None:
        config["Entrypoint"] = [_expand(part, env) for part in container["command"]]
        config["Cmd"] = [_expand(part, env) for part in container.get("args") or []]
    elif container.get("args") is not None:
        config["Cmd"] = [_expand(part, env) for part in container["args"]]
    if container.get("workingDir"):
        config["WorkingDir"] = container["workingDir"]
    limits = (container.get("resources") or {}).get("limits") or {}
    if "memory" in limits:
        config["HostConfig"]["Memory"] = quantity.memory_bytes(limits["memory"])
    if "cpu" in limits:
        config["HostConfig"]["NanoCpus"] = quantity.nano_cpus(limits["cpu"])
    user = _user(spec.get("securityContext") or {}, container.get("securityContext") or {})
    if user:
        config["User"] = user
    return config


def _environment(pod, container, node_name):
    env = {}
    for variable in container.get("env") or []:
        if "valueFrom" in variable:
            env[variable["name"]] = _field_value(pod, variable["valueFrom"]["fieldRef"]["fieldPath"],
                                                 node_name)
        else:
            env[variable["name"]] = _expand(variable.get("value", ""), env)
    return env


def _field_value(pod, path, node_name):
    meta, spec = pod["metadata"], pod["spec"]
    simple = {
        "metadata.name": meta["name"], "metadata.namespace": meta["namespace"],
        "metadata.uid": meta["uid"], "spec.nodeName": node_name,
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.hostIP": HOST_IP, "status.podIP": HOST_IP, "status.hostIPs": HOST_IP,
        "status.podIPs": HOST_IP,
    }
    if path in simple:
        return simple[path]
    match = re.match(r"^metadata\.(labels|annotations)\['([^']+)'\]$", path)
    return (meta.get(match.group(1)) or {}).get(match.group(2), "") if match else ""


def _expand(text, env):
    """$(NAME) becomes NAME's value when defined (else stays as written); $$ escapes $."""
    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)
    return re.sub(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)", replace, text)


def _user(pod_context, container_context):
    uid = container_context.get("runAsUser", pod_context.get("runAsUser"))
    gid = container_context.get("runAsGroup", pod_context.get("runAsGroup"))
    if uid is None:
        return f"0:{gid}" if gid is not None else None
    return f"{uid}:{gid}" if gid is not None else str(uid)
