"""tputref.py - the throughput computation of README "Scaling on
throughput", written again from its description (no code shared with
model/tput.c), for catalogref.py and emu_graph.sh: from the JobManager's
answers saved in a directory (job.json, plan.json, taskmanagers.json and
vertex-ID.json: numRecordsInPerSecond, numRecordsOutPerSecond and
busyTimeMsPerSecond with agg=max,sum), the backlog and its growth."""
import json
import math
import os

MIN_BUSY = 0.005


def load(d, name):
    return json.load(open(os.path.join(d, name)))


def aggregates(d, vid):
    return {m["id"]: m for m in load(d, "vertex-%s.json" % vid)}


def busiest_share(units, p, hot):
    even = 1.0 / units if p >= units else math.ceil(units / p) / units
    return hot + (1 - hot) * even


def required(v, needed):
    """The smallest parallelism whose busiest subtask keeps up."""
    cap = v["maxp"] or 10**6
    units = (v["partitions"] if v["source"] else 0) or \
        (v["maxp"] if v["keyed"] else 0)
    busy, p = v["busy"], v["p"]
    if v["in"] <= 0:
        return p if needed > 0 else 1
    if not units:
        return max(1, min(cap, math.ceil(needed / (v["in"] / busy / p) - 1e-9)))
    avg = max(v["busy_avg"], MIN_BUSY) if v["busy_avg"] > 0 else 0
    g = busiest_share(units, p, 0)
    hot = 0
    if avg > 0 and g < 1:
        hot = min(0.99, max(0, (busy / avg / p - g) / (1 - g)))
    c = v["in"] * busiest_share(units, p, hot) / busy
    for q in range(1, min(units, cap) + 1):
        if needed * busiest_share(units, q, hot) <= c * (1 + 1e-9):
            return q
    return min(units, cap)


def compute(d, backlog, growth, util=0.7, catch_up=300.0, restart=30.0,
            lo=1, hi=10**6):
    job = load(d, "job.json")
    plan = {n["id"]: n for n in load(d, "plan.json")["plan"]["nodes"]}
    tms = load(d, "taskmanagers.json")["taskmanagers"]
    slots = sum(t["slotsNumber"] for t in tms) // len(tms)
    vs = {}
    for x in job["vertices"]:
        a = aggregates(d, x["id"])
        ins = [i["id"] for i in plan[x["id"]].get("inputs", [])]
        src = not ins
        p = x["parallelism"]
        rate = a["numRecordsOutPerSecond" if src else "numRecordsInPerSecond"]["sum"]
        vs[x["id"]] = {"p": p, "maxp": x.get("maxParallelism", 0), "partitions": 0,
                       "source": src, "inputs": ins,
                       "keyed": any(i.get("ship_strategy") == "HASH"
                                    for i in plan[x["id"]].get("inputs", [])),
                       "in": rate, "out": a["numRecordsOutPerSecond"]["sum"],
                       "busy": max(a["busyTimeMsPerSecond"]["max"] / 1000, MIN_BUSY),
                       "busy_avg": a["busyTimeMsPerSecond"]["sum"] / 1000 / p}
    src_rate = sum(v["in"] for v in vs.values() if v["source"])
    target = max(0.0, src_rate + growth)
    extra = max(0.0, backlog - target * restart)
    done, order = set(), []
    while len(order) < len(vs):
        for k, v in vs.items():
            if k not in done and all(i in done for i in v["inputs"]):
                done.add(k)
                order.append(k)
    true_rate, par = math.inf, 0
    for k in order:
        v = vs[k]
        if v["source"]:
            share = v["in"] / src_rate if src_rate > 0 else 1.0 / len(vs)
            v["target"], v["cu"], v["gain"] = target * share, extra / catch_up * share, 1.0
        else:
            v["target"] = v["cu"] = v["gain"] = 0.0
            for i in v["inputs"]:
                u = vs[i]
                q = u["out"] / u["in"] if u["in"] > 0 else 1.0
                v["target"] += u["target"] * q
                v["cu"] += u["cu"] * q
                v["gain"] += u["gain"] * q
        needed = max(v["target"] / util,
                     v["target"] + v["cu"] + v["target"] * restart / catch_up)
        v["required"] = required(v, needed)
        par = max(par, v["required"])
        if v["gain"] > 0:
            true_rate = min(true_rate, v["in"] / v["busy"] / v["gain"])
    now = len(tms)
    n = math.ceil(par / slots)
    if n < now and (growth > 0.001 * target or backlog > target * restart):
        n = now
    n = min(max(n, lo), hi)
    value = n
    if n >= hi and now < hi:
        value = max(n, math.floor(now * 1.1) + 1)
    elif n <= lo and now > lo:
        value = min(n, max(0, math.ceil(now * 0.9) - 1))
    return {"flink_job_true_processing_rate": 0 if math.isinf(true_rate) else true_rate,
            "flink_job_target_rate": target,
            "flink_job_required_parallelism": par,
            "flink_job_required_taskmanagers": value}
