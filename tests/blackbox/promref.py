"""promref.py - an independent reading of the Prometheus text format, to
check flinkhpa-adapter --dump-scrape against.  It shares no code with the C
parser: a plain, slow, regular-expression reading of the same grammar,
printing the same canonical form (labels sorted, values as C's %.17g, NaN,
+Inf, -Inf) and the same summary line.  Python 3 standard library only.

Usage: python3 promref.py FILE
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\[\\"n])*)"\s*(,|$)')
SAMPLE = re.compile(r"^\s*(" + NAME + r")\s*(\{.*?\})?\s*(\S+)(?:\s+(\S+))?\s*$")


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def escape(v):
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(t):
    low = t.lower().lstrip("+-")
    if low in ("inf", "infinity"):
        return -math.inf if t.startswith("-") else math.inf
    if low == "nan":
        return math.nan
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", t) is None:
        raise ValueError(t)
    return float(t)


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return "%.17g" % v


def labels(block):
    out, rest = [], block[1:-1]
    pos = 0
    while pos < len(rest) and rest[pos:].strip():
        m = LABEL.match(rest, pos)
        if not m:
            raise ValueError(block)
        out.append((m.group(1), unescape(m.group(2))))
        pos = m.end()
    return out


def main(path):
    data = open(path, "rb").read().decode("utf-8")
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out, families, fam, ftype, samples = [], 0, None, None, 0
    for line in lines:
        line = line[:-1] if line.endswith("\r") else line
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            words = line.lstrip()[1:].split()
            if len(words) >= 2 and words[0] in ("HELP", "TYPE"):
                if words[1] != fam:
                    fam, ftype, families = words[1], None, families + 1
                if words[0] == "TYPE":
                    ftype = words[2]
            continue
        m = SAMPLE.match(line)
        name = m.group(1)
        suffixes = {"summary": ("_sum", "_count"),
                    "histogram": ("_sum", "_count", "_bucket")}.get(ftype, ())
        if name != fam and not any(name == (fam or "") + s for s in suffixes):
            fam, ftype, families = name, None, families + 1
        ls = sorted(labels(m.group(2)) if m.group(2) else [])
        text = name
        if ls:
            text += "{" + ",".join('%s="%s"' % (k, escape(v)) for k, v in ls) + "}"
        text += " " + fmt(number(m.group(3)))
        if m.group(4):
            text += " %d" % int(m.group(4))
        out.append(text)
        samples += 1
    for o in out:
        print(o)
    print("# samples=%d families=%d lines=%d bytes=%d" % (
        samples, families, len(lines), len(data.encode("utf-8"))))


if __name__ == "__main__":
    main(sys.argv[1])
