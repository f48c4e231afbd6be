"""catalogref.py - what every catalogue metric should be, computed
independently of the adapter from the same inputs: the TaskManagers' pages
(read with promref.py, which shares no code with the adapter's parser),
two readings of each page's CPU time, and the JobManager's REST answers.
Then compares with what the adapter serves, metric by metric.

Usage: python3 catalogref.py DIR CATALOG
  DIR holds, for TaskManager pod tm-K: tm-K.a.prom and tm-K.b.prom (two
  pages, b taken SECONDS later, the number in DIR/seconds), the adapter's
  answers DIR/api-METRIC.json (pods/* for pod metrics, the Deployment's
  object metric for job metrics), and the JobManager's DIR/job.json and
  DIR/taskmanagers.json.  CATALOG is `flinkhpa-adapter --print-catalog`.
Exits 1, naming each metric that differs or has no reference here.
"""
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promref  # noqa: E402
import tputref  # noqa: E402

CPU_REQUEST = 1.0  # cores, as in the targets file


def samples(path):
    """(name, labels, value) of every sample of a page."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.strip(promref.BLANK) and not line.lstrip().startswith("#"):
                name, ls, value, _ = promref.parse_sample(line)
                out.append((name, dict(ls), value))
    return out


def values(page, name, **match):
    return [v for n, l, v in page if n == name and
            all(l.get(k) == w for k, w in match.items()) and not math.isnan(v)]


T = "flink_taskmanager_job_task_"
OP = T + "operator_"


def pod_refs(a, b, seconds):
    """The pod metrics of one TaskManager from its two pages."""
    cpu = (values(b, "flink_taskmanager_Status_JVM_CPU_Time")[0] -
           values(a, "flink_taskmanager_Status_JVM_CPU_Time")[0]) / seconds / 1e9
    heap = (values(b, "flink_taskmanager_Status_JVM_Memory_Heap_Used")[0] /
            values(b, "flink_taskmanager_Status_JVM_Memory_Heap_Max")[0])
    pending = values(b, OP + "pendingRecords")
    return {
        "flink_tm_cpu_utilization": 100 * cpu / CPU_REQUEST,
        "flink_tm_heap_utilization": 100 * heap,
        "flink_tm_busy_ratio": max(values(b, T + "busyTimeMsPerSecond")) / 1000,
        "flink_tm_backpressured_ratio":
            max(values(b, T + "backPressuredTimeMsPerSecond")) / 1000,
        "flink_tm_backlog": sum(pending) if pending else
            sum(values(b, OP + "KafkaSourceReader_KafkaConsumer_records_lag_max")),
        "flink_tm_watermark_lag_seconds": max(values(b, OP + "watermarkLag")) / 1000,
        "flink_tm_event_time_lag_seconds":
            max(values(b, OP + "currentEmitEventTimeLag")) / 1000,
    }


def job_refs(pods, pages, d):
    latency = "flink_taskmanager_job_latency_source_id_operator_id_operator_subtask_index_latency"
    p99 = [v for p in pages for v in values(p, latency, quantile="0.99")]
    job = json.load(open(os.path.join(d, "job.json")))
    tms = json.load(open(os.path.join(d, "taskmanagers.json")))["taskmanagers"]
    backlog = sum(p["flink_tm_backlog"] for p in pods.values())
    # the model's clock is stopped (or the load steady): no growth
    return dict(tputref.compute(d, backlog, 0.0), **{
        "flink_job_backlog": backlog,
        "flink_job_watermark_lag_seconds":
            max(p["flink_tm_watermark_lag_seconds"] for p in pods.values()),
        "flink_job_latency_seconds": max(p99) / 1000,
        "flink_job_busy_ratio": max(p["flink_tm_busy_ratio"] for p in pods.values()),
        "flink_job_parallelism": max(v["parallelism"] for v in job["vertices"]),
        "flink_job_slots_total": sum(t["slotsNumber"] for t in tms),
        "flink_job_slots_free": sum(t["freeSlots"] for t in tms),
    })


SUFFIX = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def quantity(s):
    m = re.fullmatch(r"([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([mkMGTPE]?)", s)
    if not m:
        raise ValueError("not a quantity: %r" % s)
    return float(m.group(1)) * SUFFIX.get(m.group(2), 1)


def close(got, want, rel=0.1):
    # quantities keep three decimals; rates move a little between readings
    return abs(got - want) <= max(0.002, rel * abs(want))


# The CPU rate is a difference of the emulator's CPU time, which advances in
# the model's 100 ms ticks: the adapter's window is one 1 s scrape interval
# (one tick more or less is 10%), the reference's about 2 s (5%), and on a
# loaded machine a tick can slip into the next window.  25% still catches
# every error of unit or scale (cores for percent, ms for ns, the request).
CPU_REL = 0.25


def main():
    d, catalog = sys.argv[1], sys.argv[2]
    seconds = float(open(os.path.join(d, "seconds")).read())
    names = sorted(f[:-7] for f in os.listdir(d) if f.endswith(".a.prom"))
    pages = {}
    pods = {}
    for n in names:
        a = samples(os.path.join(d, n + ".a.prom"))
        pages[n] = samples(os.path.join(d, n + ".b.prom"))
        pods[n] = pod_refs(a, pages[n], seconds)
    jobs = job_refs(pods, list(pages.values()), d)
    bad = []
    metrics = re.findall(r"^\| `([a-z_]+)` \|", open(catalog).read(), re.M)
    for m in metrics:
        api = json.load(open(os.path.join(d, "api-%s.json" % m)))
        got = {i["describedObject"]["name"]: quantity(i["value"])
               for i in api.get("items", [])}
        if m in jobs:
            want = {"flink-taskmanager": jobs[m]}
        elif m in pods[names[0]]:
            want = {n: pods[n][m] for n in names}
        else:
            bad.append("%s: no reference value here (add one)" % m)
            continue
        for obj, w in want.items():
            g = got.get(obj)
            ok = g is not None and close(g, w, CPU_REL if "cpu" in m else 0.1)
            print("%-34s %-18s adapter %-12s reference %.4f%s" % (
                m, obj, "-" if g is None else "%.4f" % g, w, "" if ok else "   DIFFERS"))
            if not ok:
                bad.append("%s %s: adapter %s, reference %.4f" % (m, obj, g, w))
    if bad:
        print("\n".join(bad), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
