#!/usr/bin/env python3
"""gen_consistency.py - the objects flinkhpa-gen writes for a policy agree.

    gen_consistency.py --keys FLINK-KEYS.tsv --flink-version 1.20 BUILT.yaml

BUILT.yaml is one policy's output, built by kubectl kustomize.  Checks,
across the objects, what the schema cannot:
  - the Service the TaskManagers' jobmanager.rpc.address and the
    flinkhpa.io/jobmanager annotation name exists, in the namespace, with
    every port the configuration names (rpc, blob, REST), and each of its
    targetPorts is a port of the JobManager's container with that number;
  - every selector (the Service's, both Deployments') selects its own pods
    and not the others', and the HPA scales the TaskManager Deployment;
  - the slot count and the metrics port of the configuration are the ones
    of the annotations and the container;
  - both Deployments mount the one ConfigMap at /opt/flink/conf with the
    file name Flink's image of that version reads, and every key in it is
    a Flink configuration key of that version (FLINK-KEYS.tsv);
  - the parallelism mode, the JobManager's command and the scheduler keys
    agree; the probes watch the configured ports; the TaskManagers' grace
    period and memory follow heartbeat.timeout and their memory limit;
  - with high availability: the ServiceAccount, the Role (ConfigMaps, as
    Flink's docs list) and the RoleBinding tie both Deployments' accounts
    to it, and the cluster id and namespace are set;
  - with checkpoints: they are retained when the job is cancelled
    (RETAIN_ON_CANCELLATION), so the job can be resumed from the latest.
Without spec.jobManager (no JobManager Deployment, no ConfigMap), each
TaskManager Deployment's FLINK_PROPERTIES instead: its keys are Flink keys
of that version, and the slots, the metrics port and the rpc port are the
ones of the annotations, the container's ports and its liveness probe.
Prints every problem and exits 1 when there is one.
"""
import argparse
import sys

import yaml

ANN = "flinkhpa.io/"
CONF_DIR = "/opt/flink/conf"
HA_VERBS = {"get", "create", "delete", "update", "list", "watch"}


def version_tuple(v):
    major, minor = v.split(".")[:2]
    return int(major), int(minor)


def load_keys(path, version):
    keys = set()
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        key, first, last = line.rstrip("\n").split("\t")[:3]
        if version_tuple(first) <= version <= version_tuple(last):
            keys.add(key)
    return keys


class Check:
    def __init__(self):
        self.problems = []
        self.passed = 0

    def __call__(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.problems.append(what)
        return ok


def num(v):
    """An integer setting, -1 when it is missing or no integer."""
    try:
        return int(v)
    except (TypeError, ValueError):
        return -1


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def parse_conf(name, text):
    if name == "config.yaml":
        return {str(k): str(v) for k, v in (yaml.safe_load(text) or {}).items()}
    conf = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            k, _, v = line.partition(": ")
            conf[k.strip()] = v.strip()
    return conf


def container(dep, name):
    for c in dep["spec"]["template"]["spec"]["containers"]:
        if c["name"] == name:
            return c
    return None


def ports(c):
    return {p["name"]: p["containerPort"] for p in c.get("ports", [])}


def mebibytes(q):
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}
    for u, m in units.items():
        if q.endswith(u):
            return int(q[:-2]) * m >> 20
    return int(q) >> 20


def check_config_mount(check, dep, cm, file_name, who):
    spec = dep["spec"]["template"]["spec"]
    c = spec["containers"][0]
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    vols = [v for v in spec.get("volumes", []) if "configMap" in v]
    check(len(vols) == 1, "%s: %d ConfigMap volumes" % (who, len(vols)))
    for v in vols:
        check(v["configMap"]["name"] == cm["metadata"]["name"],
              "%s: the ConfigMap mounted is %s, not %s" % (who, v["configMap"]["name"], cm["metadata"]["name"]))
        check(mounts.get(v["name"]) == CONF_DIR, "%s: the configuration is not at %s" % (who, CONF_DIR))
        items = {i["key"]: i["path"] for i in v["configMap"].get("items", [])}
        check(items.get(file_name) == file_name, "%s: %s is not mounted as such" % (who, file_name))
        for k in items:
            check(k in cm["data"], "%s: mounts key %s, which the ConfigMap lacks" % (who, k))


def check_service(check, svc, jm, tm, conf, ns, tm_dep):
    sel = svc["spec"]["selector"]
    jm_labels = jm["spec"]["template"]["metadata"]["labels"]
    tm_labels = tm["spec"]["template"]["metadata"]["labels"]
    check(selects(sel, jm_labels), "the Service does not select the JobManager's pods")
    check(not selects(sel, tm_labels), "the Service selects the TaskManagers")
    name = svc["metadata"]["name"]
    check(conf.get("jobmanager.rpc.address") == name,
          "jobmanager.rpc.address %s is not the Service %s" % (conf.get("jobmanager.rpc.address"), name))
    url = "http://%s.%s.svc:%s" % (name, ns, conf.get("rest.port"))
    for where, ann in (("Deployment", tm_dep["metadata"]["annotations"]),
                       ("pod", tm_dep["spec"]["template"]["metadata"]["annotations"])):
        check(ann.get(ANN + "jobmanager") == url,
              "%s annotation jobmanager %s, want %s" % (where, ann.get(ANN + "jobmanager"), url))
    svc_ports = {p["port"]: p for p in svc["spec"]["ports"]}
    jm_ports = ports(container(jm, "jobmanager"))
    for key in ("jobmanager.rpc.port", "blob.server.port", "rest.port"):
        port = num(conf.get(key))
        check(port in svc_ports, "%s %s is no port of the Service" % (key, port))
        if port in svc_ports:
            target = svc_ports[port].get("targetPort", port)
            got = jm_ports.get(target) if isinstance(target, str) else target
            check(got == port, "Service port %s goes to %s, not a JobManager port %s" % (port, target, port))


def check_selectors(check, deps):
    for d in deps:
        sel = d["spec"]["selector"]["matchLabels"]
        for other in deps:
            labels = other["spec"]["template"]["metadata"]["labels"]
            same = other is d
            check(selects(sel, labels) == same, "%s's selector %s %s's pods" % (
                d["metadata"]["name"], "misses" if same else "also selects", other["metadata"]["name"]))


def check_taskmanagers(check, tm, conf):
    c = check_tm_ports(check, tm, conf)
    check("env" not in c, "the TaskManagers still carry FLINK_PROPERTIES next to the ConfigMap")
    grace = tm["spec"]["template"]["spec"].get("terminationGracePeriodSeconds")
    check(grace is not None and grace * 1000 == num(conf.get("heartbeat.timeout")),
          "terminationGracePeriodSeconds %s is not heartbeat.timeout" % grace)
    check_memory(check, c, conf, "taskmanager", 1728)


def check_memory(check, c, conf, who, default_mib):
    """*.memory.process.size is the container's memory limit (else its
    request, else the size in Flink's own default configuration file)."""
    res = c.get("resources", {})
    size = res.get("limits", {}).get("memory") or res.get("requests", {}).get("memory")
    want = "%dm" % (mebibytes(size) if size else default_mib)
    got = conf.get(who + ".memory.process.size")
    check(got == want, "%s.memory.process.size %s for a container of %s" % (who, got, size))


def check_mode(check, tm, jm, conf):
    mode = tm["metadata"]["annotations"].get(ANN + "parallelism-mode")
    c = container(jm, "jobmanager")
    args = c.get("args", [])
    if mode == "savepoint":
        check(args[:1] == ["jobmanager"], "savepoint mode: the JobManager runs %s, not a session cluster" % args[:1])
        mounts = [m["mountPath"] for m in c.get("volumeMounts", [])]
        check(conf.get("web.upload.dir") in mounts, "web.upload.dir %s is on no volume" % conf.get("web.upload.dir"))
        check("scheduler-mode" not in conf and "jobmanager.scheduler" not in conf,
              "savepoint mode with an adaptive scheduler")
    else:
        check(args[:1] == ["standalone-job"], "%s mode: the JobManager runs %s, not an application cluster" % (mode, args[:1]))
        want = ("scheduler-mode", "reactive") if mode == "reactive" else ("jobmanager.scheduler", "adaptive")
        check(conf.get(want[0]) == want[1], "%s mode without %s: %s" % (mode, want[0], want[1]))
    check(c["livenessProbe"]["tcpSocket"]["port"] == num(conf.get("jobmanager.rpc.port")),
          "the JobManager's liveness probe is not on jobmanager.rpc.port")
    check(c["readinessProbe"]["httpGet"]["port"] == num(conf.get("rest.port")),
          "the JobManager's readiness probe is not on rest.port")
    check_memory(check, c, conf, "jobmanager", 1600)


def check_state(check, conf):
    if "state.checkpoints.dir" not in conf:
        return
    key = "execution.checkpointing.externalized-checkpoint-retention"
    check(conf.get(key) == "RETAIN_ON_CANCELLATION",
          "checkpoints with %s %s: cancelling the job deletes its latest checkpoint" % (key, conf.get(key)))


def check_tm_ports(check, tm, conf):
    ann = tm["metadata"]["annotations"]
    pod_ann = tm["spec"]["template"]["metadata"]["annotations"]
    c = container(tm, "taskmanager")
    check(conf.get("taskmanager.numberOfTaskSlots") == ann.get(ANN + "slots-per-taskmanager"),
          "slots: configuration %s, annotation %s" % (conf.get("taskmanager.numberOfTaskSlots"),
                                                       ann.get(ANN + "slots-per-taskmanager")))
    port = conf.get("metrics.reporter.prom.port")
    check(port == pod_ann.get(ANN + "metrics-port") and num(port) == ports(c).get("metrics"),
          "metrics port: configuration %s, annotation %s, container %s" % (
              port, pod_ann.get(ANN + "metrics-port"), ports(c).get("metrics")))
    check(c["livenessProbe"]["tcpSocket"]["port"] == num(conf.get("taskmanager.rpc.port")) ==
          ports(c).get("rpc"), "the TaskManager's probe and rpc port differ from taskmanager.rpc.port %s" %
          conf.get("taskmanager.rpc.port"))
    return c


def check_platform(check, tms, known, version):
    """Without spec.jobManager: FLINK_PROPERTIES of each TaskManager."""
    for tm in tms:
        env = {e["name"]: e.get("value") for e in container(tm, "taskmanager").get("env", [])}
        conf = parse_conf("flink-conf.yaml", env.get("FLINK_PROPERTIES") or "")
        check(bool(conf), "%s: no FLINK_PROPERTIES" % tm["metadata"]["name"])
        for k in sorted(conf):
            check(k in known, "%s is no Flink %s configuration key we know" % (k, version))
        check_tm_ports(check, tm, conf)


def check_ha(check, objs, jm, tm, conf, ns):
    if conf.get("high-availability.type") != "kubernetes":
        check(not objs.get("Role"), "a Role without high availability")
        return
    check(conf.get("kubernetes.namespace") == ns, "kubernetes.namespace is not %s" % ns)
    check(bool(conf.get("kubernetes.cluster-id")), "no kubernetes.cluster-id")
    sas = {n for n in objs.get("ServiceAccount", {})}
    roles, bindings = objs.get("Role", {}), objs.get("RoleBinding", {})
    check(len(roles) == 1 and len(bindings) == 1, "HA: %d Roles, %d RoleBindings" % (len(roles), len(bindings)))
    for role in roles.values():
        rules = [r for r in role["rules"] if "configmaps" in r["resources"] and r["apiGroups"] == [""]]
        check(rules and HA_VERBS <= set(rules[0]["verbs"]), "the Role does not grant %s on configmaps" % HA_VERBS)
    for b in bindings.values():
        check(b["roleRef"]["name"] in roles, "the RoleBinding names Role %s" % b["roleRef"]["name"])
        subjects = {(s["name"], s.get("namespace")) for s in b["subjects"]}
        for d in (jm, tm):
            sa = d["spec"]["template"]["spec"].get("serviceAccountName")
            check((sa, ns) in subjects, "%s runs as %s, which the RoleBinding does not bind" % (d["metadata"]["name"], sa))
        check(any(n in sas for n, _ in subjects), "the RoleBinding binds no ServiceAccount written here")
    c = container(jm, "jobmanager")
    check("$(POD_IP)" in c.get("args", []) and any(e["name"] == "POD_IP" for e in c.get("env", [])),
          "HA: the JobManager does not announce its pod IP")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", required=True)
    ap.add_argument("--flink-version", required=True)
    ap.add_argument("built")
    a = ap.parse_args()
    version = version_tuple(a.flink_version)
    known = load_keys(a.keys, version)
    objs = {}
    for d in yaml.safe_load_all(open(a.built)):
        if d:
            objs.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    check = Check()
    deps = list(objs.get("Deployment", {}).values())
    role = lambda d: d["spec"]["template"]["metadata"]["labels"].get(ANN + "role")
    tms = [d for d in deps if role(d) == "taskmanager"]
    jms = [d for d in deps if role(d) == "jobmanager"]
    cms, svcs = list(objs.get("ConfigMap", {}).values()), list(objs.get("Service", {}).values())
    if tms and not jms and not cms:
        check_platform(check, tms, known, a.flink_version)
        return report(check, a, "%d TaskManager Deployments" % len(tms))
    if not check(len(tms) == 1 and len(jms) == 1 and len(cms) == 1 and len(svcs) == 1,
                 "want one TaskManager and one JobManager Deployment, one ConfigMap and one Service"):
        print("\n".join(check.problems))
        return 1
    tm, jm, cm, svc = tms[0], jms[0], cms[0], svcs[0]
    ns = tm["metadata"]["namespace"]
    for kind in objs.values():
        for o in kind.values():
            check(o["metadata"].get("namespace") == ns, "%s is in another namespace" % o["metadata"]["name"])
    file_name = "config.yaml" if version >= (1, 19) else "flink-conf.yaml"
    if not check(set(cm["data"]) == {file_name, "log4j-console.properties"},
                 "the ConfigMap holds %s, want %s" % (sorted(cm["data"]), file_name)):
        print("FAIL:", check.problems[0])
        return 1
    conf = parse_conf(file_name, cm["data"].get(file_name, ""))
    for k in sorted(conf):
        check(k in known, "%s is no Flink %s configuration key we know (%s)" % (k, a.flink_version, a.keys))
    for d, who in ((tm, "the TaskManagers"), (jm, "the JobManager")):
        check_config_mount(check, d, cm, file_name, who)
    check_service(check, svc, jm, tm, conf, ns, tm)
    check_selectors(check, deps)
    for h in objs.get("HorizontalPodAutoscaler", {}).values():
        check(h["spec"]["scaleTargetRef"]["name"] == tm["metadata"]["name"], "the HPA scales another Deployment")
    check_taskmanagers(check, tm, conf)
    check_mode(check, tm, jm, conf)
    check_ha(check, objs, jm, tm, conf, ns)
    check_state(check, conf)
    return report(check, a, "%d configuration keys" % len(conf))


def report(check, a, what):
    for p in check.problems:
        print("FAIL:", p)
    print("%s: %d checks, %d problems, %s of Flink %s" % (
        a.built, check.passed + len(check.problems), len(check.problems), what, a.flink_version))
    return 1 if check.problems else 0


if __name__ == "__main__":
    sys.exit(main())
