#!/usr/bin/env python3
"""k8s_validate.py - validate Kubernetes YAML against the real OpenAPI spec.

    k8s_validate.py --spec openapi.json [--map GROUP/VERSION=GROUP/VERSION]... FILE|- ...

Every document of every file (several per file, "---" separated; "-" is
standard input) is looked up by apiVersion and kind in the spec's
x-kubernetes-group-version-kind and validated with jsonschema, strictly, as
`kubectl apply --validate=strict` would:

  - an unknown field anywhere is an error (every object schema that lists
    its properties is closed, unless x-kubernetes-preserve-unknown-fields);
  - required fields must be there, and metadata.name (or generateName);
  - types are checked; an IntOrString (format int-or-string) takes an
    integer or a string, a Quantity a number or a quantity string
    ("500m", "2Gi", "1e3"), format "byte" valid base64;
  - a null value counts as an absent field (as kubectl and kube-apiserver
    read it: `creationTimestamp: null` is fine).

The spec may be Swagger 2 (`definitions`, /openapi/v2) or OpenAPI 3
(`components.schemas`).  A group/version the spec lacks (autoscaling/v2beta2
in a v1.36 spec) can be validated against another with --map; each use of
a mapping is said on standard error.

Every problem is one line on standard output:
    FILE: document N (Kind/name): path.to.field: message
Exit status 0 when everything is valid, 1 on any problem (an empty input
too: kubectl apply has nothing to apply), 2 on a usage error.
Used by tests/blackbox/manifests.sh; needs python3-jsonschema and
python3-yaml (hack/deps.sh test).
"""
import argparse
import base64
import binascii
import copy
import json
import re
import sys

import jsonschema
import jsonschema.validators
import yaml

# resource.Quantity: <signedNumber><suffix>, suffix binary (Ki..Ei),
# decimal (n u m "" k M G T P E) or a decimal exponent (e3, E-2)
QUANTITY = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
                      r"([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$")
INT_OR_STRING = {"type": ["integer", "string"]}


def usage_error(msg):
    print("k8s_validate.py: " + msg, file=sys.stderr)
    sys.exit(2)


def _is_integer(checker, v):
    """2 and 2.0 (YAML reaches the server as JSON, where they are one number)."""
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


# Draft 4, with an integer as Kubernetes' JSON decoding sees it
K8sValidator = jsonschema.validators.extend(
    jsonschema.Draft4Validator,
    type_checker=jsonschema.Draft4Validator.TYPE_CHECKER.redefine("integer", _is_integer))
QUANTITY_SCHEMA = {"type": ["number", "string"], "format": "quantity"}


def load_spec(path):
    """(definitions, the $ref prefix they are found under)."""
    try:
        with open(path) as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        usage_error("%s: %s" % (path, e))
    if "definitions" in spec:
        return spec["definitions"], "#/definitions/"
    schemas = spec.get("components", {}).get("schemas")
    if schemas:
        return schemas, "#/components/schemas/"
    usage_error("%s: neither Swagger 2 definitions nor OpenAPI 3 "
                "components.schemas" % path)


def subschemas(s):
    """The schemas directly inside schema s (not the names of properties)."""
    for key in ("properties", "patternProperties"):
        yield from (s.get(key) or {}).values()
    for key in ("additionalProperties", "items", "not"):
        if isinstance(s.get(key), dict):
            yield s[key]
    if isinstance(s.get("items"), list):
        yield from s["items"]
    for key in ("allOf", "anyOf", "oneOf"):
        yield from s.get(key) or []


def tighten(s):
    """Close object schemas, make int-or-string take both; in place."""
    if not isinstance(s, dict):
        return
    if s.get("format") == "int-or-string" or s.get("x-kubernetes-int-or-string"):
        s.pop("format", None)
        s.update(INT_OR_STRING)
    if ("properties" in s and "additionalProperties" not in s
            and not s.get("x-kubernetes-preserve-unknown-fields")):
        s["additionalProperties"] = False
    for sub in subschemas(s):
        tighten(sub)


def prepare(defs):
    defs = copy.deepcopy(defs)
    for name in defs:
        if name.endswith("pkg.api.resource.Quantity"):
            defs[name] = dict(QUANTITY_SCHEMA)
        else:
            tighten(defs[name])
    return defs


def index(defs):
    by_gvk = {}
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            gv = "%s/%s" % (gvk["group"], gvk["version"]) if gvk["group"] else gvk["version"]
            by_gvk[(gv, gvk["kind"])] = name
    return by_gvk


def format_checker():
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("byte", raises=(binascii.Error, ValueError))
    def is_byte(v):
        if isinstance(v, str):
            base64.b64decode(v, validate=True)
        return True

    @checker.checks("quantity")
    def is_quantity(v):
        return not isinstance(v, str) or bool(QUANTITY.match(v))

    return checker


def drop_nulls(v):
    """A null field is an absent one (list items stay, null or not)."""
    if isinstance(v, dict):
        return {k: drop_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [drop_nulls(x) for x in v]
    return v


def where(path):
    out = ""
    for p in path:
        out += "[%d]" % p if isinstance(p, int) else ("." if out else "") + str(p)
    return out or "(document)"


def join(path, field):
    return where(list(path) + [field])


class Validator:
    def __init__(self, spec_path, mapping):
        defs, self.prefix = load_spec(spec_path)
        self.defs = prepare(defs)
        self.by_gvk = index(self.defs)
        self.checker = format_checker()
        self.cache = {}
        root = {"definitions": self.defs} if self.prefix == "#/definitions/" \
            else {"components": {"schemas": self.defs}}
        self.root = root
        self.mapping = {}
        for m in mapping:
            src, sep, dst = m.partition("=")
            if not sep or not src or not dst:
                usage_error("--map %s: want GROUP/VERSION=GROUP/VERSION" % m)
            if not any(gv == dst for gv, _ in self.by_gvk):
                usage_error("--map %s: the spec has no %s" % (m, dst))
            self.mapping[src] = dst

    def schema_for(self, gv, kind):
        """(definition name, the group/version it was mapped to or None)."""
        name = self.by_gvk.get((gv, kind))
        if name:
            return name, None
        if gv in self.mapping:
            name = self.by_gvk.get((self.mapping[gv], kind))
            if name:
                return name, self.mapping[gv]
        return None, None

    def validator(self, name):
        if name not in self.cache:
            schema = dict(self.root, **{"$ref": self.prefix + name})
            self.cache[name] = K8sValidator(schema, format_checker=self.checker)
        return self.cache[name]

    def problems(self, doc, name):
        """(path, message) for each problem of doc against definition name."""
        out = []
        for err in self.validator(name).iter_errors(doc):
            path = list(err.absolute_path)
            if err.validator == "additionalProperties" and isinstance(err.instance, dict):
                known = set(err.schema.get("properties", {}))
                pats = [re.compile(p) for p in err.schema.get("patternProperties", {})]
                for k in err.instance:
                    if k not in known and not any(p.search(k) for p in pats):
                        out.append((join(path, k), 'unknown field "%s"' % k))
            elif err.validator == "required":
                m = re.match(r"^'(.*)' is a required property$", err.message)
                field = m.group(1) if m else "?"
                out.append((join(path, field), "required field is missing"))
            else:
                out.append((where(path), err.message))
        meta = doc.get("metadata")
        if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
            out.append(("metadata.name", "required field is missing"))
        return sorted(set(out))


def label(doc):
    if not isinstance(doc, dict):
        return "?"
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return "%s/%s" % (doc.get("kind"), name) if name else str(doc.get("kind"))


def check_file(path, v):
    """Number of problems in file path (- for standard input)."""
    try:
        text = sys.stdin.read() if path == "-" else open(path).read()
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except OSError as e:
        print("%s: %s" % (path, e.strerror))
        return 1
    except yaml.YAMLError as e:
        print("%s: %s" % (path, str(e).replace("\n", " ")))
        return 1
    if not docs:
        print("%s: no objects" % path)
        return 1
    bad = 0
    for n, doc in enumerate(docs, 1):
        head = "%s: document %d (%s)" % (path, n, label(doc))
        probs = []
        if not isinstance(doc, dict):
            probs = [("(document)", "not a mapping")]
        elif not isinstance(doc.get("apiVersion"), str) or not isinstance(doc.get("kind"), str):
            probs = [("(document)", "no apiVersion or kind")]
        else:
            gv, kind = doc["apiVersion"], doc["kind"]
            name, mapped = v.schema_for(gv, kind)
            if not name:
                probs = [("(document)", "unknown kind %s %s" % (gv, kind))]
            else:
                if mapped:
                    print("%s: %s is not in the spec, validated as %s" % (head, gv, mapped),
                          file=sys.stderr)
                probs = v.problems(drop_nulls(doc), name)
        for p, msg in probs:
            print("%s: %s: %s" % (head, p, msg))
        bad += len(probs)
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", required=True, help="Kubernetes OpenAPI spec (JSON)")
    ap.add_argument("--map", action="append", default=[], metavar="GV=GV",
                    help="validate a group/version the spec lacks as another, "
                         "e.g. autoscaling/v2beta2=autoscaling/v2")
    ap.add_argument("files", nargs="+", metavar="FILE")
    a = ap.parse_args()
    v = Validator(a.spec, a.map)
    bad = sum(check_file(path, v) for path in a.files)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
