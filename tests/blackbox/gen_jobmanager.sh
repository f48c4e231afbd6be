#!/usr/bin/env bash
# gen_jobmanager.sh - what flinkhpa-gen writes for spec.jobManager agrees
# with itself (tests/tools/gen_consistency.py: Service names and ports the
# configuration and annotations use, selectors, slots, metrics port, the
# ConfigMap's file name and keys against the Flink keys of the image's
# version in tests/data/gen/flink-config-keys.tsv, the mode's command and
# scheduler, probes, grace period, memory, high availability's RBAC,
# checkpoints retained on cancellation), for every golden output of each
# mode with and without high availability, and without spec.jobManager the
# TaskManagers' FLINK_PROPERTIES (keys, slots, metrics and rpc ports
# against the annotations, container ports and probe); then that the
# checker catches each kind of disagreement, so that a pass means
# something.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"
cd "$FH_ROOT" || exit 1
python3 -c 'import yaml' 2>/dev/null || fail "python3 lacks yaml (hack/deps.sh test installs python3-yaml)"
KEYS=tests/data/gen/flink-config-keys.tsv
CHECK="python3 tests/tools/gen_consistency.py --keys $KEYS"
GOLD=tests/data/gen/golden

# golden directory and the Flink version of its image
cases="jm-reactive-ha:1.20 jm-reactive:1.20 jm-adaptive:1.18 jm-adaptive-ha:1.19 jm-savepoint:1.20 jm-savepoint-ha:1.20 scenario:1.20 all-rules:1.20"
for c in $cases; do
	d=${c%%:*} v=${c##*:}
	kubectl kustomize "$GOLD/$d" >"$FH_TMP/$d.yaml" 2>"$FH_TMP/err" || fail "kustomize $d: $(cat "$FH_TMP/err")"
	$CHECK --flink-version "$v" "$FH_TMP/$d.yaml" >"$FH_TMP/out" || fail "$d: $(cat "$FH_TMP/out")"
	cat "$FH_TMP/out"
done
# the goldens are what flinkhpa-gen writes now (gen.sh compares them too)
$FH_WRAP "$FH_BIN/flinkhpa-gen" -o "$FH_TMP/now" examples/reactive-application.yaml >/dev/null || fail "flinkhpa-gen"
diff -r "$GOLD/jm-reactive-ha" "$FH_TMP/now" >/dev/null || fail "jm-reactive-ha is stale"

# the README shows the example policy and everything flinkhpa-gen writes
# for it, as they are
$FH_WRAP "$FH_BIN/flinkhpa-gen" -o - examples/reactive-application.yaml >"$FH_TMP/stream.yaml" || fail "-o -"
python3 - README.md examples/reactive-application.yaml "$FH_TMP/stream.yaml" <<'PY' || fail "README's spec.jobManager section is stale"
import sys
readme, policy, out = (open(p).read() for p in sys.argv[1:])
s = readme[readme.index("### The whole job from one policy"):]
blocks = [b.split("```", 1)[0] for b in s.split("```yaml\n")[1:3]]
if blocks != [policy, out]:
    sys.exit("README blocks differ: policy %s, output %s" % (blocks[:1] == [policy], blocks[1:] == [out]))
PY

# mutate NAME PYTHON-STATEMENTS: the reactive output with objs (kind ->
# list of documents) changed, into $FH_TMP/bad.yaml
mutate() {
	python3 - "$FH_TMP/$1.yaml" "$FH_TMP/bad.yaml" "$2" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
objs = {}
for d in docs:
    objs.setdefault(d["kind"], []).append(d)
dep = {d["spec"]["template"]["metadata"]["labels"]["flinkhpa.io/role"]: d for d in objs["Deployment"]}
cm = objs.get("ConfigMap", [None])[0]
exec(sys.argv[3])
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
PY
}
# expect_fail NAME VERSION MESSAGE-SUBSTRING MUTATION
expect_fail() {
	local src=$1 ver=$2 want=$3
	mutate "$src" "$4" || fail "mutation failed: $4"
	$CHECK --flink-version "$ver" "$FH_TMP/bad.yaml" >"$FH_TMP/out" 2>&1 &&
		fail "the checker passed: $4"
	grep -qF -- "$want" "$FH_TMP/out" || fail "$4: want \"$want\", got $(cat "$FH_TMP/out")"
	echo "caught: $want"
}
expect_fail jm-reactive 1.20 "blob.server.port 6124 is no port of the Service" \
	'objs["Service"][0]["spec"]["ports"] = [p for p in objs["Service"][0]["spec"]["ports"] if p["port"] != 6124]'
expect_fail jm-reactive 1.20 "Service port 8081 goes to webui" \
	'objs["Service"][0]["spec"]["ports"][2]["targetPort"] = "webui"'
expect_fail jm-reactive 1.20 "the Service does not select the JobManager's pods" \
	'objs["Service"][0]["spec"]["selector"]["flinkhpa.io/role"] = "taskmanager"'
expect_fail jm-reactive 1.20 "jobmanager.rpc.address flink-jobmanager is not the Service" \
	'cm["data"]["config.yaml"] = cm["data"]["config.yaml"].replace("address: clicks-jobmanager", "address: flink-jobmanager")'
expect_fail jm-reactive 1.20 "slots: configuration 4, annotation 3" \
	'dep["taskmanager"]["metadata"]["annotations"]["flinkhpa.io/slots-per-taskmanager"] = "3"'
expect_fail jm-reactive 1.20 "rest.prot is no Flink 1.20 configuration key" \
	'cm["data"]["config.yaml"] += "rest.prot: \"1\"\n"'
expect_fail jm-reactive 1.20 "also selects clicks-jobmanager's pods" \
	'del dep["taskmanager"]["spec"]["selector"]["matchLabels"]["flinkhpa.io/role"]'
expect_fail jm-reactive 1.20 "the TaskManagers: the ConfigMap mounted is other" \
	'dep["taskmanager"]["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] = "other"'
expect_fail jm-reactive 1.20 "terminationGracePeriodSeconds 60 is not heartbeat.timeout" \
	'dep["taskmanager"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 60'
expect_fail jm-reactive 1.20 "reactive mode without scheduler-mode: reactive" \
	'cm["data"]["config.yaml"] = cm["data"]["config.yaml"].replace("scheduler-mode: reactive", "jobmanager.scheduler: adaptive")'
expect_fail jm-reactive 1.20 "reactive mode: the JobManager runs ['jobmanager']" \
	'dep["jobmanager"]["spec"]["template"]["spec"]["containers"][0]["args"] = ["jobmanager"]'
expect_fail jm-savepoint 1.20 "web.upload.dir /opt/flink/upload is on no volume" \
	'dep["jobmanager"]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"].pop()'
expect_fail jm-adaptive 1.18 "taskmanager.memory.process.size 2048m for a container of 4Gi" \
	'dep["taskmanager"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "4Gi"'
expect_fail jm-reactive 1.18 "the ConfigMap holds ['config.yaml', 'log4j-console.properties'], want flink-conf.yaml" 'pass'
expect_fail jm-adaptive-ha 1.18 "restart-strategy.type is no Flink 1.18 configuration key" \
	'cm["data"]["flink-conf.yaml"] = cm["data"].pop("config.yaml"); [v["configMap"]["items"].__setitem__(0, {"key": "flink-conf.yaml", "path": "flink-conf.yaml"}) for d in dep.values() for v in d["spec"]["template"]["spec"]["volumes"] if "configMap" in v]'
expect_fail jm-adaptive-ha 1.19 "runs as billing-tm, which the RoleBinding does not bind" \
	'objs["RoleBinding"][0]["subjects"] = objs["RoleBinding"][0]["subjects"][:1]'
expect_fail jm-reactive-ha 1.20 "the Role does not grant" \
	'objs["Role"][0]["rules"][0]["verbs"].remove("watch")'
expect_fail jm-reactive-ha 1.20 "HA: the JobManager does not announce its pod IP" \
	'dep["jobmanager"]["spec"]["template"]["spec"]["containers"][0].pop("env")'
expect_fail jm-savepoint-ha 1.20 "externalized-checkpoint-retention None: cancelling the job deletes" \
	'cm["data"]["config.yaml"] = "".join(l for l in cm["data"]["config.yaml"].splitlines(True) if "retention" not in l)'
# without spec.jobManager: a TaskManager whose FLINK_PROPERTIES lacks the
# rpc port its probe watches (what flinkhpa-gen wrote before)
expect_fail scenario 1.20 "the TaskManager's probe and rpc port differ from taskmanager.rpc.port None" \
	'e = dep["taskmanager"]["spec"]["template"]["spec"]["containers"][0]["env"][0]; e["value"] = e["value"].replace("taskmanager.rpc.port: 6122\n", "")'
expect_fail all-rules 1.20 "state.backend.typo is no Flink 1.20 configuration key" \
	'e = dep["taskmanager"]["spec"]["template"]["spec"]["containers"][0]["env"][0]; e["value"] += "state.backend.typo: x\n"'
echo ok
