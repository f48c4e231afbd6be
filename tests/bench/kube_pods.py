#!/usr/bin/env python3
"""tests/bench/kube_pods.py - many TaskManager pods in a real kube-apiserver
for tests/bench/discovery.sh, faster than kubectl (16 connections at once):

  kube_pods.py create CLUSTER_DIR NAMESPACE FIRST COUNT PORT
      creates pods tm-FIRST .. tm-(FIRST+COUNT-1) labelled
      flinkhpa.io/role=taskmanager, annotated with metrics port PORT, and
      marks each Running with the address 127.3.0.0 + k (there is no
      kubelet), as the end-to-end harness does one pod at a time; prints
      the seconds it took.

CLUSTER_DIR is hack/cluster-up.sh's: apiserver.port and pki/ (admin).
"""
import http.client
import json
import os
import ssl
import sys
import threading
import time


def conn(cluster):
    ctx = ssl.create_default_context(cafile=os.path.join(cluster, "pki/ca.crt"))
    ctx.load_cert_chain(os.path.join(cluster, "pki/admin.crt"), os.path.join(cluster, "pki/admin.key"))
    ctx.check_hostname = False
    with open(os.path.join(cluster, "apiserver.port")) as f:
        port = int(f.read())
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)


def call(c, method, path, body, ctype="application/json"):
    c.request(method, path, json.dumps(body), {"Content-Type": ctype})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data[:300]))


def pod(ns, k, port):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "tm-%05d" % k, "namespace": ns,
            "labels": {"app": "flink", "flinkhpa.io/role": "taskmanager", "job": "job-%d" % (k // 10)},
            "annotations": {"flinkhpa.io/metrics-port": str(port), "flinkhpa.io/job-name": "job-%d" % (k // 10)},
        },
        "spec": {"containers": [{"name": "taskmanager", "image": "flink:1.18",
                                 "resources": {"requests": {"cpu": "1"}}}]},
    }


def create(cluster, ns, first, count, port):
    errors = []
    ks = list(range(first, first + count))

    def work(part):
        try:
            c = conn(cluster)
            for k in part:
                call(c, "POST", "/api/v1/namespaces/%s/pods" % ns, pod(ns, k, port))
                ip = "127.3.%d.%d" % (k // 250, k % 250 + 1)
                call(c, "PATCH", "/api/v1/namespaces/%s/pods/tm-%05d/status" % (ns, k),
                     {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                                 "conditions": [{"type": "Ready", "status": "True"}]}},
                     "application/merge-patch+json")
        except Exception as exc:  # reported below
            errors.append(exc)

    t0 = time.monotonic()
    threads = [threading.Thread(target=work, args=(ks[i::16],)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("kube_pods: %s" % errors[0])
    print("%.1f" % (time.monotonic() - t0))


def main():
    if sys.argv[1] == "create":
        create(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit("kube_pods.py: unknown command " + sys.argv[1])


if __name__ == "__main__":
    main()
