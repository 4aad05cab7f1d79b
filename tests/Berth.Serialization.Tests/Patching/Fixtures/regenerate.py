#!/usr/bin/env python3
"""Regenerates upstream-patch-cases.json: every case is applied by real kubectl (`kubectl patch --local`, which runs
upstream's strategic-merge-patch / json-patch / merge-patch code offline) and its output or error recorded. Run from
this directory: ./regenerate.py [kubectl-binary]. The C# tests compare Berth's patches with these recordings."""
import json, subprocess, sys, tempfile, os

KUBECTL = sys.argv[1] if len(sys.argv) > 1 else "kubectl"

STS = {"apiVersion": "apps/v1", "kind": "StatefulSet",
       "metadata": {"name": "pg", "namespace": "default", "labels": {"app": "pg"}, "annotations": {"a": "1"},
                    "finalizers": ["a", "b"],
                    "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "o1", "uid": "u1"},
                                        {"apiVersion": "v1", "kind": "X", "name": "o2", "uid": "u2"}]},
       "spec": {"replicas": 3, "serviceName": "pg", "selector": {"matchLabels": {"app": "pg"}},
                "template": {"metadata": {"labels": {"app": "pg"}, "annotations": {"x": "1"}},
                             "spec": {"containers": [
                                 {"name": "postgres", "image": "postgres:15", "args": ["-c", "a=1"],
                                  "ports": [{"containerPort": 5432, "name": "pg"}, {"containerPort": 9187, "name": "metrics"}],
                                  "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                                  "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql"}]},
                                 {"name": "sidecar", "image": "busybox"}],
                                 "tolerations": [{"key": "k1", "operator": "Exists"}, {"key": "k2", "operator": "Exists"}],
                                 "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}}

SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pg"},
       "spec": {"selector": {"app": "pg"}, "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"},
                                                      {"name": "m", "port": 9187, "protocol": "TCP"}]}}

SMP = [
    ("set image", STS, {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "postgres"}, {"name": "sidecar"}],
                                                        "containers": [{"image": "postgres:16-alpine", "name": "postgres"}]}}}}),
    ("client side apply update", STS, {"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
                                       "spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "postgres"}],
                                                                      "containers": [{"image": "postgres:16.1", "name": "postgres"}]}}}}),
    ("rollout undo", STS, {"spec": {"template": {"$patch": "replace", "metadata": {"labels": {"app": "pg"}},
                                                 "spec": {"containers": [{"name": "postgres", "image": "postgres:14"}]}}}}),
    ("new container without order", STS, {"spec": {"template": {"spec": {"containers": [{"name": "third", "image": "x"}]}}}}),
    ("delete container", STS, {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}),
    ("replace list", STS, {"spec": {"template": {"spec": {"containers": [{"name": "n", "image": "x"}, {"$patch": "replace"}]}}}}),
    ("env merge order", STS, {"spec": {"template": {"spec": {"containers": [{"name": "postgres", "env": [{"name": "C", "value": "3"}, {"name": "B", "value": "9"}]}]}}}}),
    ("env delete and null value", STS, {"spec": {"template": {"spec": {"containers": [{"name": "postgres", "env": [{"name": "A", "$patch": "delete"}, {"name": "B", "value": None}]}]}}}}),
    ("tolerations replaced", STS, {"spec": {"template": {"spec": {"tolerations": [{"key": "k3", "operator": "Exists"}]}}}}),
    ("args replaced", STS, {"spec": {"template": {"spec": {"containers": [{"name": "postgres", "args": ["-c", "b=2"]}]}}}}),
    ("finalizers union", STS, {"metadata": {"finalizers": ["c", "a"]}}),
    ("finalizers delete", STS, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
    ("finalizers order", STS, {"metadata": {"$setElementOrder/finalizers": ["b", "a"]}}),
    ("finalizers order with add", STS, {"metadata": {"$setElementOrder/finalizers": ["b", "z", "a"], "finalizers": ["z"]}}),
    ("retain keys volume", STS, {"spec": {"template": {"spec": {"volumes": [{"name": "data", "hostPath": {"path": "/x"}, "$retainKeys": ["hostPath", "name"]}]}}}}),
    ("map delete directive", STS, {"spec": {"template": {"metadata": {"$patch": "delete"}}}}),
    ("nulls delete", STS, {"metadata": {"labels": None, "annotations": {"a": None, "b": "2"}}, "spec": {"replicas": 5}}),
    ("reorder containers", STS, {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "postgres"}]}}}}),
    ("ports by containerPort", STS, {"spec": {"template": {"spec": {"containers": [{"name": "postgres", "ports": [{"containerPort": 9187, "name": "m2"}, {"containerPort": 1, "name": "new"}]}]}}}}),
    ("volume mounts by path", STS, {"spec": {"template": {"spec": {"containers": [{"name": "postgres", "volumeMounts": [{"mountPath": "/var/lib/postgresql", "readOnly": True}, {"mountPath": "/etc/cfg", "name": "cfg"}]}]}}}}),
    ("owner references by uid", STS, {"metadata": {"ownerReferences": [{"uid": "u2", "name": "o2b"}, {"uid": "u3", "name": "o3", "apiVersion": "v1", "kind": "X"}]}}),
    ("volume claim templates replaced", STS, {"spec": {"volumeClaimTemplates": [{"metadata": {"name": "other"}}]}}),
    ("new list with directives", STS, {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "x", "command": None}]}}}}),
    ("service ports by port", SVC, {"spec": {"ports": [{"port": 9187, "name": "metrics"}, {"port": 80, "name": "http"}]}}),
    ("service port delete", SVC, {"spec": {"$setElementOrder/ports": [{"port": 9187}], "ports": [{"port": 5432, "$patch": "delete"}]}}),
    ("error unknown patch type", STS, {"spec": {"$patch": "frob"}}),
    ("error missing merge key", STS, {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
    ("error merge directive in list", STS, {"spec": {"template": {"spec": {"containers": [{"name": "x", "$patch": "merge"}]}}}}),
    ("error set element order mismatch", STS, {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "postgres"}], "containers": [{"name": "other", "image": "x"}]}}}}),
    ("error list element types", STS, {"metadata": {"finalizers": [["a"]]}}),
    ("error retain keys mismatch", STS, {"spec": {"template": {"spec": {"volumes": [{"name": "data", "hostPath": {"path": "/x"}, "$retainKeys": ["name"]}]}}}}),
    ("error retain keys not a list", STS, {"spec": {"template": {"spec": {"volumes": [{"name": "data", "$retainKeys": "name"}]}}}}),
    ("error set element order not a list", STS, {"spec": {"template": {"spec": {"$setElementOrder/containers": {"name": "x"}}}}}),
]

MERGE = [
    ("scale", STS, {"spec": {"replicas": 5}}),
    ("label and unlabel", STS, {"metadata": {"labels": {"tier": "db", "app": None}}}),
    ("lists replaced", STS, {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}]}}}}),
]

JSON = [
    ("replace replicas", STS, [{"op": "replace", "path": "/spec/replicas", "value": 5}]),
    ("add container", STS, [{"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "c", "image": "x"}}]),
    ("escaped label", STS, [{"op": "add", "path": "/metadata/labels/a~1b", "value": "1"}, {"op": "remove", "path": "/metadata/labels/app"}]),
    ("move and copy", STS, [{"op": "copy", "from": "/metadata/labels", "path": "/metadata/annotations"}, {"op": "move", "from": "/spec/replicas", "path": "/spec/minReadySeconds"}]),
    ("test then remove", STS, [{"op": "test", "path": "/spec/replicas", "value": 3}, {"op": "remove", "path": "/spec/template/spec/containers/1"}]),
    ("error test failed", STS, [{"op": "test", "path": "/spec/replicas", "value": 4}]),
    ("error replace missing", STS, [{"op": "replace", "path": "/spec/nope", "value": 4}]),
    ("error remove missing", STS, [{"op": "remove", "path": "/spec/nope"}]),
    ("error add missing parent", STS, [{"op": "add", "path": "/nope/deeper", "value": 4}]),
    ("error bad index", STS, [{"op": "add", "path": "/spec/template/spec/containers/7", "value": {}}]),
    ("error unknown op", STS, [{"op": "frobnicate", "path": "/spec"}]),
]


def run(kind, original, patch):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(original, f)
        name = f.name
    try:
        p = subprocess.run([KUBECTL, "patch", "-f", name, "--local", "--type", kind, "-p", json.dumps(patch), "-o", "json"],
                           capture_output=True, text=True, env={**os.environ, "KUBECONFIG": "/dev/null"}, timeout=60)
    finally:
        os.unlink(name)
    if p.returncode == 0:
        return {"expected": json.loads(p.stdout)}
    err = p.stderr.strip()
    return {"error": err[len("error: "):] if err.startswith("error: ") else err}


YAML_SCALARS = ["yes", "Yes", "YES", "no", "on", "Off", "y", "N", "true", "False", "~", "null", "Null", "", "1_000", "0x1F",
                "-0x10", "017", "0o17", "0b101", "08", "+12", "-12", "1.5", ".5", "-.5", "1e3", "1.0", "1e16", "1e21",
                "2026-11-23", "2026-11-23T10:00:00Z", "1.2.3", "500m", "12e", "0.1.2", "'yes'", '"42"', "!!str 42",
                "!!int \"12\"", "|\n    block\n    text", ">\n    folded\n    text", "[1, two, yes]", "{a: 1}", "&x anchored", "*x"]
YAML_KEYS = ["on", "n", "80", "1.5", "true", "~x"]


def run_yaml(text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
        name = f.name
    try:
        p = subprocess.run([KUBECTL, "patch", "-f", name, "--local", "--type", "merge", "-p", "{}", "-o", "json"],
                           capture_output=True, text=True, env={**os.environ, "KUBECONFIG": "/dev/null"}, timeout=60)
    finally:
        os.unlink(name)
    return json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr.strip()}


cases = []
yaml_doc = "apiVersion: example.com/v1\nkind: Foo\nmetadata:\n  name: x\nspec:\n"
yaml_doc += "".join(f"  v{i}: {v}\n" for i, v in enumerate(YAML_SCALARS))
yaml_doc += "keys:\n" + "".join(f"  {k}: k{i}\n" for i, k in enumerate(YAML_KEYS))
cases.append({"name": "yaml scalars and keys", "type": "yaml", "kind": "Foo", "yaml": yaml_doc, "expected": run_yaml(yaml_doc)})
for kind, table in (("strategic", SMP), ("merge", MERGE), ("json", JSON)):
    for name, original, patch in table:
        case = {"name": name, "type": kind, "kind": original["kind"], "original": original, "patch": patch}
        case.update(run(kind, original, patch))
        cases.append(case)
        print(kind, name, "error" if "error" in case else "ok", file=sys.stderr)

version = subprocess.run([KUBECTL, "version", "--client", "-o", "json"], capture_output=True, text=True).stdout
with open("upstream-patch-cases.json", "w") as out:
    json.dump({"kubectl": json.loads(version)["clientVersion"]["gitVersion"], "cases": cases}, out, indent=1)
    out.write("\n")
