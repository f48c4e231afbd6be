#!/usr/bin/env python3
"""k8s_validate.py - validate Kubernetes YAML against the real OpenAPI spec.

    k8s_validate.py --spec openapi.json [--map autoscaling/v2beta2=autoscaling/v2] FILE|- ...

Every document of every file is looked up by apiVersion and kind
(x-kubernetes-group-version-kind) and validated with jsonschema, strictly,
as `kubectl apply --validate=strict` would: unknown fields are errors
(additionalProperties is closed wherever the schema lists properties and
does not keep unknown fields), required fields must be there,
IntOrString takes a number or a string, Quantity a number or a quantity
string, format "byte" valid base64.  Kinds missing from the spec (an older
API version) can be validated against another version with --map.
Messages: FILE: document N (Kind/name): path.to.field: message.  Exit 1
on any error.  Used by tests/blackbox/manifests.sh.
"""
import argparse
import base64
import binascii
import copy
import json
import re
import sys

import jsonschema
import yaml

QUANTITY = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$")


def load_spec(path):
    with open(path) as f:
        spec = json.load(f)
    defs = spec.get("definitions") or spec.get("components", {}).get("schemas")
    if not defs:
        sys.exit("%s: no definitions" % path)
    return defs


def close(schema):
    """Close every object schema that lists its properties."""
    if isinstance(schema, dict):
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        for v in schema.values():
            close(v)
    elif isinstance(schema, list):
        for v in schema:
            close(v)


def prepare(defs):
    defs = copy.deepcopy(defs)
    for d in defs.values():
        close(d)
    for name, d in defs.items():
        if name.endswith("util.intstr.IntOrString"):
            defs[name] = {"type": ["integer", "string"]}
        elif name.endswith("api.resource.Quantity"):
            defs[name] = {"type": ["number", "string"], "format": "quantity"}
    return defs


def index(defs):
    by_gvk = {}
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            gv = gvk["version"] if not gvk["group"] else "%s/%s" % (gvk["group"], gvk["version"])
            by_gvk[(gv, gvk["kind"])] = name
    return by_gvk


def formats():
    checker = jsonschema.FormatChecker()

    @checker.checks("byte", raises=(binascii.Error, ValueError))
    def is_byte(v):
        if not isinstance(v, str):
            return True
        base64.b64decode(v, validate=True)
        return True

    @checker.checks("quantity")
    def is_quantity(v):
        return not isinstance(v, str) or bool(QUANTITY.match(v))

    return checker


def where(err):
    parts = []
    for p in err.absolute_path:
        if isinstance(p, int):
            parts.append("[%d]" % p)
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "(document)"


def validate_doc(doc, defs, by_gvk, mapping, checker):
    """Yields (path, message) for each problem."""
    if not isinstance(doc, dict):
        yield "(document)", "not a mapping"
        return
    gv, kind = doc.get("apiVersion"), doc.get("kind")
    if not gv or not kind:
        yield "(document)", "no apiVersion or kind"
        return
    name = by_gvk.get((gv, kind))
    if not name and gv in mapping:
        name = by_gvk.get((mapping[gv], kind))
    if not name:
        yield "(document)", "unknown kind %s %s" % (gv, kind)
        return
    schema = {"$ref": "#/definitions/" + name, "definitions": defs}
    v = jsonschema.Draft4Validator(schema, format_checker=checker)
    for err in sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        msg = err.message
        if err.validator == "additionalProperties":
            msg = "unknown field: " + msg
        yield where(err), msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--map", action="append", default=[],
                    help="GROUP/VERSION=GROUP/VERSION to validate against")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    defs = prepare(load_spec(a.spec))
    by_gvk = index(defs)
    mapping = dict(m.split("=", 1) for m in a.map)
    checker = formats()
    bad = 0
    for path in a.files:
        text = sys.stdin.read() if path == "-" else open(path).read()
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError as e:
            print("%s: %s" % (path, e))
            bad += 1
            continue
        for n, doc in enumerate(d for d in docs if d is not None):
            meta = doc.get("metadata", {}) if isinstance(doc, dict) else {}
            label = "%s/%s" % (doc.get("kind") if isinstance(doc, dict) else "?",
                               meta.get("name") if isinstance(meta, dict) else "?")
            for p, msg in validate_doc(doc, defs, by_gvk, mapping, checker):
                print("%s: document %d (%s): %s: %s" % (path, n + 1, label, p, msg))
                bad += 1
            gv = doc.get("apiVersion") if isinstance(doc, dict) else None
            if gv in mapping and not by_gvk.get((gv, doc.get("kind"))):
                print("%s: document %d (%s): validated as %s" % (path, n + 1, label, mapping[gv]),
                      file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
