"""Debian's python3-kubernetes (the official Python client, unmodified) driven against kactus.

Run with Debian's /usr/bin/python3 and KUBECONFIG naming the cluster's kubeconfig:
    /usr/bin/python3 kube_client.py VERB ARGS...
Each verb does one thing through the client and prints one JSON object on stdout (what the
TypeScript test, python-kubernetes.test.ts, asserts on); an API error prints
{"error": {"status", "reason", "body"}} and exits 3.
"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream


def core():
    config.load_kube_config()
    return client.CoreV1Api()


def create(ns, name, key, value):
    """Creates a ConfigMap, typed; prints its resourceVersion and data as the server stored them."""
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels={"made-by": "python"}), data={key: value})
    cm = core().create_namespaced_config_map(ns, body)
    return {"name": cm.metadata.name, "resourceVersion": cm.metadata.resource_version, "data": cm.data, "uid": cm.metadata.uid}


def list_(ns, selector=""):
    """Lists ConfigMaps (typed models) with an optional label selector."""
    cms = core().list_namespaced_config_map(ns, label_selector=selector)
    return {"kind": cms.kind, "resourceVersion": cms.metadata.resource_version, "names": sorted(c.metadata.name for c in cms.items)}


def list_pods(ns):
    """Lists Pods: every status field the typed model requires must be there to deserialize."""
    pods = core().list_namespaced_pod(ns)
    return {
        "pods": [
            {
                "name": p.metadata.name,
                "phase": p.status.phase,
                "node": p.spec.node_name,
                "containers": [{"name": s.name, "ready": s.ready, "image": s.image, "running": s.state.running is not None} for s in (p.status.container_statuses or [])],
            }
            for p in pods.items
        ]
    }


def watch_(ns, resource_version, count):
    """Watches ConfigMaps from resource_version until `count` events arrived (or 20 s passed)."""
    events = []
    w = watch.Watch()
    for ev in w.stream(core().list_namespaced_config_map, ns, resource_version=resource_version, timeout_seconds=20):
        obj = ev["object"]
        events.append({"type": ev["type"], "name": obj.metadata.name, "data": obj.data, "resourceVersion": obj.metadata.resource_version})
        if len(events) >= int(count):
            w.stop()
    return {"events": events}


def exec_(ns, pod, *command):
    """Runs a command in the pod over the WebSocket channel protocol; stdout, stderr and exit code apart."""
    resp = stream(
        core().connect_get_namespaced_pod_exec, pod, ns, command=list(command),
        stdin=False, stdout=True, stderr=True, tty=False, _preload_content=False,
    )
    out, err = "", ""
    while resp.is_open():
        resp.update(timeout=5)
        out += resp.read_stdout() if resp.peek_stdout() else ""
        err += resp.read_stderr() if resp.peek_stderr() else ""
    resp.close()
    return {"stdout": out, "stderr": err, "returncode": resp.returncode}


def logs(ns, pod, container):
    """The container's log, whole, then its last line."""
    api = core()
    return {"log": api.read_namespaced_pod_log(pod, ns, container=container), "tail": api.read_namespaced_pod_log(pod, ns, container=container, tail_lines=1)}


def viewer(ns, sa):
    """
    A ServiceAccount bound to the `view` ClusterRole (RoleBinding in ns), a token for it from the
    TokenRequest API, then a client with only that token: listing pods works, creating one is 403.
    """
    config.load_kube_config()
    admin = client.ApiClient()
    api = client.CoreV1Api(admin)
    api.create_namespaced_service_account(ns, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=sa)))
    client.RbacAuthorizationV1Api(admin).create_namespaced_role_binding(ns, client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name=sa + "-view"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"),
        subjects=[client.V1Subject(kind="ServiceAccount", name=sa, namespace=ns)],
    ))
    token = api.create_namespaced_service_account_token(sa, ns, client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))).status.token

    conf = client.Configuration.get_default_copy()
    conf.api_key = {"authorization": "Bearer " + token}
    conf.cert_file = conf.key_file = None
    as_sa = client.CoreV1Api(client.ApiClient(conf))
    listed = as_sa.list_namespaced_pod(ns)
    result = {"listed": len(listed.items)}
    try:
        as_sa.create_namespaced_pod(ns, client.V1Pod(
            metadata=client.V1ObjectMeta(name="not-allowed"),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
        ))
        result["create"] = {"status": 201}
    except ApiException as e:
        result["create"] = {"status": e.status, "body": json.loads(e.body)}
    return result


VERBS = {"create": create, "list": list_, "list-pods": list_pods, "watch": watch_, "exec": exec_, "logs": logs, "viewer": viewer}

if __name__ == "__main__":
    verb, args = sys.argv[1], sys.argv[2:]
    try:
        print(json.dumps(VERBS[verb](*args)))
    except ApiException as e:
        print(json.dumps({"error": {"status": e.status, "reason": e.reason, "body": e.body if isinstance(e.body, str) else None}}))
        sys.exit(3)
