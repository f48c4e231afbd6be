"""flinkpage.py - Flink TaskManager metrics pages, byte for byte as Flink's
PrometheusReporter (the Prometheus Java simpleclient) writes them.

Used by the Flink emulator (hack/flink-emulator.py), the benchmark page
generator (`python3 hack/flinkpage.py --slots 8 --operators 6 > page.prom`)
and the tests.  Python 3 standard library only.

Format facts (see ../shared/reference/flink.md):
- one `# HELP name <metric> (scope: <scope>)` and `# TYPE name gauge|counter|
  summary` per family, then all its series;
- names: flink_ + scope + _ + metric, characters outside [a-zA-Z0-9_:]
  replaced by _; label values get the same replacement;
- every label set ends with a comma: {host="...",tm_id="...",};
- values are Java doubles (Double.toString): 0.0, 5.5132808E7, 1.0E-4, NaN,
  and +Inf/-Inf as the simpleclient writes infinities.
"""

import math
import re
import sys
import zlib

LONG_MIN = -9.223372036854776e18  # Long.MIN_VALUE as a double

_BAD = re.compile(r"[^a-zA-Z0-9_:]")


def flink_name(s):
    """Flink's character replacement for metric names and label values."""
    return _BAD.sub("_", s)


def java_double(v):
    """Java's Double.toString(v) (shortest digits that round-trip)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "-0.0" if math.copysign(1, v) < 0 else "0.0"
    sign = "-" if v < 0 else ""
    a = abs(v)
    digits, exp = _shortest(a)
    if 1e-3 <= a < 1e7:
        point = exp + 1  # digits before the decimal point
        if point <= 0:
            return sign + "0." + "0" * (-point) + digits
        if point >= len(digits):
            return sign + digits + "0" * (point - len(digits)) + ".0"
        return sign + digits[:point] + "." + digits[point:]
    frac = digits[1:] or "0"
    return "%s%s.%sE%d" % (sign, digits[0], frac, exp)


def _shortest(a):
    """Significant digits and decimal exponent of repr(a): a = d.ddd x 10^e."""
    m = re.match(r"^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$", repr(a))
    whole, frac, e = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    digits = (whole + frac).lstrip("0")
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    exp = len(whole) - 1 - lead_zeros + e
    return digits.rstrip("0") or "0", exp


def label_set(labels):
    """{k="v",...,} with Flink's value replacement, as the reporter writes."""
    if not labels:
        return ""
    return "{" + "".join('%s="%s",' % (k, v) for k, v in labels) + "}"


class Page:
    """Collects series by family and renders the text page."""

    def __init__(self):
        self.families = {}  # name -> (help, type, [lines])
        self.order = []

    def add(self, scope, metric, labels, value, kind="gauge", suffix=""):
        name = "flink_%s_%s" % (scope, flink_name(metric))
        if name not in self.families:
            # HELP names the metric's own name and its full group scope
            group, _, own = metric.rpartition(".")
            full_scope = scope + ("_" + flink_name(group) if group else "")
            self.families[name] = (
                "%s (scope: %s)" % (own, full_scope), kind, [])
            self.order.append(name)
        self.families[name][2].append(
            "%s%s %s" % (name + suffix, label_set(labels), java_double(value)))

    def render(self):
        out = []
        for name in self.order:
            help_text, kind, lines = self.families[name]
            out.append("# HELP %s %s" % (name, help_text))
            out.append("# TYPE %s %s" % (name, kind))
            out.extend(lines)
        return "\n".join(out) + "\n"


TM_GAUGES = [
    "Status.JVM.CPU.Load", "Status.JVM.CPU.Time",
    "Status.JVM.Memory.Heap.Used", "Status.JVM.Memory.Heap.Committed",
    "Status.JVM.Memory.Heap.Max", "Status.JVM.Memory.NonHeap.Used",
    "Status.JVM.Memory.NonHeap.Committed", "Status.JVM.Memory.NonHeap.Max",
    "Status.JVM.Memory.Direct.Count", "Status.JVM.Memory.Direct.MemoryUsed",
    "Status.JVM.Memory.Direct.TotalCapacity", "Status.JVM.Memory.Mapped.Count",
    "Status.JVM.Memory.Mapped.MemoryUsed", "Status.JVM.Memory.Mapped.TotalCapacity",
    "Status.JVM.Memory.Metaspace.Used", "Status.JVM.Memory.Metaspace.Max",
    "Status.JVM.Threads.Count", "Status.JVM.ClassLoader.ClassesLoaded",
    "Status.JVM.ClassLoader.ClassesUnloaded",
    "Status.JVM.GarbageCollector.G1_Young_Generation.Count",
    "Status.JVM.GarbageCollector.G1_Young_Generation.Time",
    "Status.JVM.GarbageCollector.G1_Old_Generation.Count",
    "Status.JVM.GarbageCollector.G1_Old_Generation.Time",
    "Status.Flink.Memory.Managed.Used", "Status.Flink.Memory.Managed.Total",
    "Status.Shuffle.Netty.AvailableMemorySegments",
    "Status.Shuffle.Netty.UsedMemorySegments",
    "Status.Shuffle.Netty.TotalMemorySegments",
    "Status.Shuffle.Netty.AvailableMemory", "Status.Shuffle.Netty.UsedMemory",
    "Status.Shuffle.Netty.TotalMemory",
]

TASK_GAUGES = [
    "busyTimeMsPerSecond", "idleTimeMsPerSecond", "backPressuredTimeMsPerSecond",
    "softBackPressuredTimeMsPerSecond", "hardBackPressuredTimeMsPerSecond",
    "maxSoftBackPressureTimeMs", "maxHardBackPressureTimeMs",
    "numRecordsInPerSecond", "numRecordsOutPerSecond", "numBytesInPerSecond",
    "numBytesOutPerSecond", "numBuffersOutPerSecond",
    "currentInputWatermark", "checkpointStartDelayNanos",
    "isBackPressured", "mailboxMailsPerSecond", "mailboxLatencyMs_mean",
    "mailboxQueueSize", "Shuffle.Netty.Input.Buffers.inputQueueLength",
    "Shuffle.Netty.Input.Buffers.inPoolUsage",
    "Shuffle.Netty.Output.Buffers.outputQueueLength",
    "Shuffle.Netty.Output.Buffers.outPoolUsage", "buffers.inPoolUsage",
    "buffers.outPoolUsage", "buffers.inputQueueLength",
]
TASK_COUNTERS = ["numRecordsIn", "numRecordsOut", "numBytesIn", "numBytesOut",
                 "numBuffersOut", "numLateRecordsDropped"]

OPERATOR_GAUGES = [
    "numRecordsInPerSecond", "numRecordsOutPerSecond", "currentInputWatermark",
    "currentOutputWatermark", "numRecordsOutErrors", "numSplitsProcessed",
]
OPERATOR_COUNTERS = ["numRecordsIn", "numRecordsOut"]
SOURCE_GAUGES = [
    "pendingRecords", "pendingBytes", "currentEmitEventTimeLag",
    "currentFetchEventTimeLag", "watermarkLag", "sourceIdleTime",
    "KafkaSourceReader.KafkaConsumer.records-lag-max",
    "KafkaSourceReader.KafkaConsumer.records-consumed-rate",
    "KafkaSourceReader.KafkaConsumer.bytes-consumed-rate",
    "KafkaSourceReader.KafkaConsumer.fetch-rate",
    "KafkaSourceReader.KafkaConsumer.fetch-latency-avg",
    "KafkaSourceReader.KafkaConsumer.commit-latency-avg",
]
QUANTILES = ["0.5", "0.75", "0.95", "0.98", "0.99", "0.999"]


def taskmanager_page(tm, jobs, value):
    """The page of one TaskManager.

    tm: dict host, tm_id.  jobs: list of dicts job_id, job_name, tasks:
    [task_id, task_name, subtasks: [subtask_index], operators:
    [(operator_id, operator_name, is_source)]].  value(scope, metric, ids)
    gives each series' value (ids: dict of the series' identifying labels).
    """
    p = Page()
    host = flink_name(tm["host"])
    base = [("host", host), ("tm_id", flink_name(tm["tm_id"]))]
    for m in TM_GAUGES:
        p.add("taskmanager", m, base, value("taskmanager", m, {}))
    for job in jobs:
        jl = base + [("job_id", job["job_id"]),
                     ("job_name", flink_name(job["job_name"]))]
        for m in ("numRestarts", "fullRestarts"):
            p.add("taskmanager_job", m, jl, value("job", m, {}))
        _tasks(p, job, jl, value)
        _latency(p, job, jl, value)
    return p.render()


def _subtask_labels(jl, task, sub):
    return jl + [("task_id", task["task_id"]),
                 ("task_name", flink_name(task["task_name"])),
                 ("task_attempt_id", "%08x%024x" % (stable_hash(task["task_id"], sub), sub)),
                 ("task_attempt_num", "0"), ("subtask_index", str(sub))]


def _tasks(p, job, jl, value):
    for kind, metrics in (("gauge", TASK_GAUGES), ("counter", TASK_COUNTERS)):
        for m in metrics:
            for task in job["tasks"]:
                for sub in task["subtasks"]:
                    ids = {"job": job["job_name"], "task": task["task_name"],
                           "subtask": sub}
                    p.add("taskmanager_job_task", m, _subtask_labels(jl, task, sub),
                          value("task", m, ids), kind)
    for m, kind, source_only in ([(m, "gauge", False) for m in OPERATOR_GAUGES] +
                                 [(m, "counter", False) for m in OPERATOR_COUNTERS] +
                                 [(m, "gauge", True) for m in SOURCE_GAUGES]):
        for task in job["tasks"]:
            for op_id, op_name, is_source in task["operators"]:
                if source_only and not is_source:
                    continue
                for sub in task["subtasks"]:
                    labels = _subtask_labels(jl, task, sub) + [
                        ("operator_id", op_id),
                        ("operator_name", flink_name(op_name))]
                    ids = {"job": job["job_name"], "task": task["task_name"],
                           "operator": op_name, "subtask": sub}
                    p.add("taskmanager_job_task_operator", m, labels,
                          value("operator", m, ids), kind)


def _latency(p, job, jl, value):
    """Latency markers (granularity operator): a summary per source/operator."""
    scope = "taskmanager_job_latency_source_id_operator_id_operator_subtask_index"
    for task in job["tasks"]:
        for op_id, op_name, is_source in task["operators"]:
            if is_source:
                continue
            for sub in task["subtasks"]:
                labels = [("source_id", job.get("source_id", "cbc357ccb763df2852fee8c4fc7d55f2")),
                          ("operator_id", op_id),
                          ("operator_subtask_index", str(sub))] + jl
                ids = {"job": job["job_name"], "operator": op_name, "subtask": sub}
                for q in QUANTILES:
                    p.add(scope, "latency", labels + [("quantile", q)],
                          value("latency", q, ids), "summary")
                p.add(scope, "latency", labels, value("latency", "count", ids),
                      "summary", "_count")


def demo_jobs(slots, operators, job_name="orders-enrichment"):
    """A job shaped like the reference scenario's: a source task and a chain
    of operators, `slots` subtasks of each on this TaskManager."""
    ops = [("cbc357ccb763df2852fee8c4fc7d55f2", "Source: Kafka orders", True)]
    for i in range(1, operators):
        ops.append(("%032x" % (0x9dd63673dd41ea021b896d5203f3ba7c + i),
                    "Map %d: enrich (lookup)" % i, False))
    return [{
        "job_id": "a3d2d5b2c1f0e9d8c7b6a5f4e3d2c1b0", "job_name": job_name,
        "tasks": [{"task_id": "bc764cd8ddf7a0cff126f51c16239658",
                   "task_name": "Source: Kafka orders -> Map -> Sink: Print",
                   "subtasks": list(range(slots)), "operators": ops}],
    }]


def stable_hash(*parts):
    """A hash that is the same in every run (unlike hash())."""
    return zlib.crc32(repr(parts).encode())


def sample_value(scope, metric, ids):
    """Plausible values, deterministic, for the sample pages and the bench."""
    h = (stable_hash(scope, metric, sorted(ids.items())) & 0xffff) / 65536.0
    if metric == "currentInputWatermark":
        return LONG_MIN if ids.get("subtask") == 0 else 1.704067195e12 + h * 1000
    if metric.endswith("MsPerSecond"):
        return round(h * 1000, 1)
    if metric in ("Status.JVM.CPU.Load",):
        return round(h, 4)
    if metric.startswith("Status.JVM.CPU.Time"):
        return 5.5132808e10 + h * 1e9
    if "Memory" in metric:
        return float(int(h * 1.073741824e9))
    if metric.startswith("num") or metric in ("pendingRecords", "pendingBytes") \
            or metric.endswith("records-lag-max") or metric == "count":
        return float(int(h * 10000))  # counts are whole numbers
    return round(h * 10000, 3)


def main(argv):
    slots, operators = 2, 3
    args = list(argv[1:])
    while args:
        a = args.pop(0)
        if a == "--slots":
            slots = int(args.pop(0))
        elif a == "--operators":
            operators = int(args.pop(0))
        else:
            sys.stderr.write("usage: flinkpage.py [--slots N] [--operators N]\n")
            return 2
    tm = {"host": "10.244.1.17", "tm_id": "flink-taskmanager-5d8f7c9b4-x2x7q"}
    page = taskmanager_page(tm, demo_jobs(slots, operators), sample_value)
    sys.stdout.write(page)
    sys.stderr.write("flinkpage: %d bytes, %d series\n" % (
        len(page), sum(1 for l in page.splitlines() if not l.startswith("#"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
