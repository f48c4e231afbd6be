"""promref.py - an independent reading of the Prometheus text format, to
check flinkhpa-adapter --dump-scrape against.  It shares no code with the C
parser: a plain, slow, character-by-character reading of the same grammar,
printing the same canonical form (labels sorted by name, values re-escaped,
values as C's %.17g, NaN, +Inf, -Inf, the timestamp when there is one) and
the same summary line.  Python 3 standard library only.

Usage: python3 promref.py FILE     (FILE "-" reads standard input)
Exits 1 with "promref: LINE: what" on a line it cannot read.
"""
import math
import re
import sys

BLANK = " \t"
NAME0 = re.compile(r"[a-zA-Z_:]")
NAMEC = re.compile(r"[a-zA-Z0-9_:]")
LNAME0 = re.compile(r"[a-zA-Z_]")
LNAMEC = re.compile(r"[a-zA-Z0-9_]")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
SPECIAL = {"inf": math.inf, "infinity": math.inf, "nan": math.nan}


class Bad(Exception):
    pass


def escape(v):
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(t):
    sign = -1.0 if t.startswith("-") else 1.0
    word = t[1:] if t[:1] in "+-" else t
    if word.lower() in SPECIAL:
        v = SPECIAL[word.lower()]
        return v if math.isnan(v) else sign * v
    if NUMBER.fullmatch(t) is None:
        raise Bad("invalid number %r" % t)
    return float(t)


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return "%.17g" % v


class Line:
    """A cursor over one line."""

    def __init__(self, text):
        self.s, self.i = text, 0

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else ""

    def blanks(self):
        while self.peek() and self.peek() in BLANK:
            self.i += 1

    def word(self, first, rest):
        start = self.i
        if not self.peek() or not first.match(self.peek()):
            return ""
        self.i += 1
        while self.peek() and rest.match(self.peek()):
            self.i += 1
        return self.s[start:self.i]

    def token(self):
        start = self.i
        while self.peek() and self.peek() not in BLANK:
            self.i += 1
        return self.s[start:self.i]

    def quoted(self):
        out = []
        while True:
            c = self.peek()
            if not c:
                raise Bad("label value not terminated")
            self.i += 1
            if c == '"':
                return "".join(out)
            if c == "\\":
                e = self.peek()
                if e not in ("\\", '"', "n"):
                    raise Bad("invalid escape")
                self.i += 1
                c = "\n" if e == "n" else e
            out.append(c)


def labels(cur):
    """After '{': name="value" pairs, a comma after each, up to '}'."""
    out = []
    while True:
        cur.blanks()
        if cur.peek() == "}":
            cur.i += 1
            return out
        name = cur.word(LNAME0, LNAMEC)
        if not name or name in (k for k, _ in out):
            raise Bad("bad or repeated label name")
        cur.blanks()
        if cur.peek() != "=":
            raise Bad("expected =")
        cur.i += 1
        cur.blanks()
        if cur.peek() != '"':
            raise Bad('expected "')
        cur.i += 1
        out.append((name, cur.quoted()))
        cur.blanks()
        if cur.peek() == ",":
            cur.i += 1
        elif cur.peek() != "}":
            raise Bad("expected , or }")


def parse_sample(text):
    """A sample line as (name, [(label, value)...], value, timestamp)."""
    cur = Line(text)
    cur.blanks()
    name = cur.word(NAME0, NAMEC)
    if not name:
        raise Bad("invalid metric name")
    cur.blanks()
    ls = []
    if cur.peek() == "{":
        cur.i += 1
        ls = labels(cur)
    cur.blanks()
    value = number(cur.token())
    cur.blanks()
    ts = cur.token()
    if ts and re.fullmatch(r"-?\d+", ts) is None:
        raise Bad("invalid timestamp")
    cur.blanks()
    if cur.peek():
        raise Bad("text after the timestamp")
    return name, ls, value, ts


def sample(text):
    name, ls, value, ts = parse_sample(text)
    out = name
    if ls:
        out += "{" + ",".join('%s="%s"' % (k, escape(v))
                              for k, v in sorted(ls)) + "}"
    out += " " + fmt(value)
    if ts:
        out += " %d" % int(ts)
    return name, out


SUFFIXES = {"summary": ("_sum", "_count"),
            "histogram": ("_sum", "_count", "_bucket")}


def main(path):
    raw = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    data = raw.decode("utf-8")
    lines = data.split("\n")
    if lines[-1] == "":
        lines.pop()
    out, families, fam, ftype = [], 0, None, None
    for n, line in enumerate(lines, 1):
        if line.endswith("\r"):
            line = line[:-1]
        body = line.strip(BLANK)
        try:
            if not body:
                continue
            if body.startswith("#"):
                words = body[1:].split()
                if len(words) >= 2 and words[0] in ("HELP", "TYPE"):
                    if words[1] != fam:
                        fam, ftype, families = words[1], None, families + 1
                    if words[0] == "TYPE":
                        ftype = words[2]
                continue
            name, text = sample(line)
        except Bad as e:
            sys.exit("promref: %d: %s" % (n, e))
        if name != fam and name not in (
                (fam or "") + s for s in SUFFIXES.get(ftype, ())):
            fam, ftype, families = name, None, families + 1
        out.append(text)
    out.append("# samples=%d families=%d lines=%d bytes=%d" % (
        len(out), families, len(lines), len(raw)))
    sys.stdout.write("".join(o + "\n" for o in out))


if __name__ == "__main__":
    main(sys.argv[1])
