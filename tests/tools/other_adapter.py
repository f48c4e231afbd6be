#!/usr/bin/env python3
"""other_adapter.py - a second, independent metrics adapter for the tests of
flinkhpa's delegation (tests/blackbox/delegate.sh, tests/e2e/delegate.sh):
what prometheus-adapter or KEDA is to a cluster, small enough to read.

It serves custom.metrics.k8s.io v1beta1/v1beta2 Object metrics about
Services (namespaces/NS/services/NAME/METRIC), which flinkhpa does not serve,
and external.metrics.k8s.io v1beta1 metrics, in JSON or, when the client
asks for it first, the Kubernetes protobuf envelope, byte for byte as the Go
stack writes them (see the reference kubernetes-metrics-api.md); discovery
documents list them; unknown metrics are 404 NotFound Statuses.

Security as an extension API server: with --tls-cert/--tls-key it serves
HTTPS and trusts X-Remote-User/-Group/-Extra-* only from a client
certificate signed by --requestheader-ca with a CN in --allowed-names (the
front proxy); anyone else is system:anonymous.  With --kube-server (and
--kube-cert/--kube-key/--kube-ca) every request but system:masters' is
authorized by a SubjectAccessReview for that user, as prometheus-adapter
does.  Each request is logged as one JSON line to --log (path, user,
groups, accept, code) for the tests to read.

Values come from --state, a JSON file read on each request:
  {"custom": {"NS/services/NAME/METRIC": 2.5}, "external": {"NS/METRIC": 7},
   "delay": 0}
"delay" (seconds) holds every metric answer that long (a slow adapter);
"time" (seconds since the epoch) fixes the timestamps (for byte
comparisons).
"""
import argparse
import json
import ssl
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

CUSTOM = "custom.metrics.k8s.io"
EXTERNAL = "external.metrics.k8s.io"
PROTO = "application/vnd.kubernetes.protobuf"
ARGS = None
LOG_LOCK = threading.Lock()


# ---- values: quantities and time as the Go stack writes them ----

def quantity(v):
    """Canonical DecimalSI of NewMilliQuantity(int64(v*1000))."""
    m = int(v * 1000)
    if m == 0:
        return "0"
    neg, m = m < 0, abs(m)
    exp = -3
    while m % 10 == 0:
        m //= 10
        exp += 1
    while exp % 3:
        m *= 10
        exp -= 1
    suffix = {-3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
    while exp > 18:
        m *= 1000
        exp -= 3
    return ("-" if neg else "") + str(m) + suffix[exp]


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# ---- protobuf (proto2, gogo's field order) ----

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


def pb_time(t):
    return varint(1 << 3) + varint(int(t)) + varint(2 << 3) + varint(0)


LIST_META = field(1, b"") + field(2, b"") + field(3, b"")


def envelope(api_version, kind, raw):
    tm = field(1, api_version) + field(2, kind)
    return b"k8s\x00" + field(1, tm) + field(2, raw) + field(3, b"") + field(4, b"")


def pb_custom(version, ns, name, metric, value, now):
    ref = (field(1, "Service") + field(2, ns) + field(3, name) + field(4, "") +
           field(5, "/v1") + field(6, "") + field(7, ""))
    q = field(1, quantity(value))
    if version == "v1beta2":
        item = (field(1, ref) + field(2, field(1, metric)) + field(3, pb_time(now)) +
                field(5, q))
    else:
        item = (field(1, ref) + field(2, metric) + field(3, pb_time(now)) + field(5, q))
    return envelope(CUSTOM + "/" + version, "MetricValueList",
                    field(1, LIST_META) + field(2, item))


def pb_external(metric, labels, value, now):
    item = field(1, metric)
    for k in sorted(labels):
        item += field(2, field(1, k) + field(2, labels[k]))
    item += field(3, pb_time(now)) + field(5, field(1, quantity(value)))
    return envelope(EXTERNAL + "/v1beta1", "ExternalMetricValueList",
                    field(1, LIST_META) + field(2, item))


# ---- JSON ----

def js(o):
    return (json.dumps(o, separators=(",", ":")) + "\n").encode()


def json_custom(version, ns, name, metric, value, now):
    ref = {"kind": "Service", "namespace": ns, "name": name, "apiVersion": "/v1"}
    if version == "v1beta2":
        item = {"describedObject": ref, "metric": {"name": metric, "selector": None},
                "timestamp": rfc3339(now), "value": quantity(value)}
    else:
        item = {"describedObject": ref, "metricName": metric, "timestamp": rfc3339(now),
                "value": quantity(value), "selector": None}
    return js({"kind": "MetricValueList", "apiVersion": CUSTOM + "/" + version,
               "metadata": {}, "items": [item]})


def json_external(metric, labels, value, now):
    return js({"kind": "ExternalMetricValueList", "apiVersion": EXTERNAL + "/v1beta1",
               "metadata": {}, "items": [{"metricName": metric, "metricLabels": labels,
                                          "timestamp": rfc3339(now),
                                          "value": quantity(value)}]})


def status(code, reason, message):
    return js({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "code": code})


def state():
    try:
        with open(ARGS.state) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


# ---- authentication and authorization ----

def review(user, groups, attrs):
    """A SubjectAccessReview for the user: (allowed, reason)."""
    spec = {"user": user, "groups": groups}
    spec.update(attrs)
    body = json.dumps({"apiVersion": "authorization.k8s.io/v1",
                       "kind": "SubjectAccessReview", "spec": spec}).encode()
    ctx = ssl.create_default_context(cafile=ARGS.kube_ca)
    ctx.load_cert_chain(ARGS.kube_cert, ARGS.kube_key)
    req = urllib.request.Request(ARGS.kube_server +
                                 "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                 data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        st = json.load(r).get("status", {})
    return bool(st.get("allowed")), st.get("reason", "")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def identify(self):
        cert = self.connection.getpeercert() if ARGS.tls_cert else None
        cn = ""
        for rdn in (cert or {}).get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    cn = v
        user = self.headers.get("X-Remote-User")
        if cert and cn in ARGS.allowed_names.split(",") and user:
            groups = [g for g in self.headers.get_all("X-Remote-Group") or [] if g]
            if "system:authenticated" not in groups:
                groups.append("system:authenticated")
            return user, groups, "front-proxy " + cn
        if not ARGS.tls_cert:
            return "system:anonymous", ["system:unauthenticated"], "plain HTTP"
        return "system:anonymous", ["system:unauthenticated"], "anonymous"

    def reply(self, code, ctype, body, rec):
        rec["code"] = code
        with LOG_LOCK, open(ARGS.log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self, user, groups, attrs):
        if not ARGS.kube_server or "system:masters" in groups:
            return True, ""
        return review(user, groups, attrs)

    def do_GET(self):
        u = urlsplit(self.path)
        parts = [unquote(p) for p in u.path.split("/") if p]
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        user, groups, how = self.identify()
        accept = self.headers.get("Accept", "")
        rec = {"path": u.path, "query": u.query, "user": user, "groups": groups, "how": how,
               "accept": accept, "audit": self.headers.get("Audit-Id", ""),
               "extra": {k[len("X-Remote-Extra-"):].lower(): v for k, v in self.headers.items()
                         if k.lower().startswith("x-remote-extra-")}}
        proto = accept.split(",")[0].strip().startswith(PROTO)
        if parts in (["healthz"], ["readyz"], ["livez"]):
            return self.reply(200, "text/plain", b"ok", rec)
        if len(parts) < 3 or parts[0] != "apis" or parts[1] not in (CUSTOM, EXTERNAL):
            return self.reply(404, "application/json",
                              status(404, "NotFound", "the server could not find the requested resource"), rec)
        attrs = self.attributes(parts, q)
        ok, why = self.authorized(user, groups, attrs)
        if not ok:
            return self.reply(403, "application/json",
                              status(403, "Forbidden", 'User "%s" cannot get %s: %s' % (user, u.path, why)), rec)
        st = state()
        if len(parts) == 3:
            return self.reply(200, "application/json", self.discovery(parts[1], parts[2], st), rec)
        time.sleep(float(st.get("delay", 0)))
        return self.metric(parts, q, st, proto, rec)

    def attributes(self, parts, q):
        if len(parts) == 3:
            return {"nonResourceAttributes": {"path": "/" + "/".join(parts), "verb": "get"}}
        rest = parts[3:]
        a = {"group": parts[1], "version": parts[2], "verb": "get"}
        if rest[0] == "namespaces" and len(rest) > 1:
            a["namespace"] = rest[1]
            rest = rest[2:]
        if rest:
            a["resource"] = rest[0]
        if len(rest) > 1:
            a["name"] = rest[1]
        if len(rest) > 2:
            a["subresource"] = rest[2]
        if "name" not in a:
            a["verb"] = "list"
        return {"resourceAttributes": a}

    def discovery(self, group, version, st):
        if group == CUSTOM:
            names = sorted({"services/" + k.split("/")[3] for k in st.get("custom", {})})
            kind = "MetricValueList"
        else:
            names = sorted({k.split("/")[1] for k in st.get("external", {})})
            kind = "ExternalMetricValueList"
        return js({"kind": "APIResourceList", "apiVersion": "v1",
                   "groupVersion": group + "/" + version,
                   "resources": [{"name": n, "singularName": "", "namespaced": True, "kind": kind,
                                  "verbs": ["get"]} for n in names]})

    def metric(self, parts, q, st, proto, rec):
        now = float(st.get("time", time.time()))
        group, version, rest = parts[1], parts[2], parts[3:]
        if group == CUSTOM and len(rest) == 5 and rest[0] == "namespaces" and rest[2] == "services":
            key = "%s/services/%s/%s" % (rest[1], rest[3], rest[4])
            if key in st.get("custom", {}):
                v = st["custom"][key]
                if proto:
                    return self.reply(200, PROTO, pb_custom(version, rest[1], rest[3], rest[4], v, now), rec)
                return self.reply(200, "application/json",
                                  json_custom(version, rest[1], rest[3], rest[4], v, now), rec)
            return self.reply(404, "application/json", status(
                404, "NotFound", "the server could not find the metric %s for services %s" % (rest[4], rest[3])), rec)
        if group == EXTERNAL and len(rest) == 3 and rest[0] == "namespaces":
            key = "%s/%s" % (rest[1], rest[2])
            if key in st.get("external", {}):
                labels = dict(kv.split("=", 1) for kv in q.get("labelSelector", "").split(",") if "=" in kv)
                v = st["external"][key]
                if proto:
                    return self.reply(200, PROTO, pb_external(rest[2], labels, v, now), rec)
                return self.reply(200, "application/json", json_external(rest[2], labels, v, now), rec)
            return self.reply(404, "application/json", status(
                404, "NotFound", "the server could not find the metric %s" % rest[2]), rec)
        return self.reply(404, "application/json",
                          status(404, "NotFound", "the server could not find the requested resource"), rec)


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--requestheader-ca")
    p.add_argument("--allowed-names", default="front-proxy-client")
    p.add_argument("--kube-server")
    p.add_argument("--kube-ca")
    p.add_argument("--kube-cert")
    p.add_argument("--kube-key")
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        ctx.verify_mode = ssl.CERT_OPTIONAL  # asked for, not required
        ctx.load_verify_locations(ARGS.requestheader_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("serving on %d" % ARGS.port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
