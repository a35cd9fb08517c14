# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""A parser of the Prometheus text exposition format, version 0.0.4.

Used by tests to check `dsrlbctl metrics` as a scraper would read it,
strictly: every line must be a comment, a HELP or TYPE line or a sample;
names and label names must be valid; label values may only use the
escapes \\\\, \\" and \\n; values are Go floats (NaN, +Inf, -Inf
included); a family's TYPE comes before its samples and at most once, its
samples are one group, no sample (name and label set) appears twice, and
(with require_type, the default) every sample belongs to a family with a
TYPE.

    families = prom.parse(text)
    families["dsrlb_up"].samples[0].value == 1.0
    prom.value(families, "dsrlb_drops_total", reason="no_vip")
"""

import math
import re
from collections import namedtuple

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
# samples of these families carry a suffix after the family's name
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count")}
FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                   r"|[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?|[Nn][Aa][Nn])")
TIMESTAMP = re.compile(r"-?[0-9]+")

Sample = namedtuple("Sample", "name labels value timestamp")


class ParseError(ValueError):
    """The text is not valid exposition format; names the line."""

    def __init__(self, lineno, line, message):
        super().__init__("line %d: %s: %r" % (lineno, message, line))
        self.lineno = lineno


class Family:
    """One metric family: its name, TYPE (None if never given), HELP
    (None if never given) and samples in order."""

    def __init__(self, name):
        self.name = name
        self.type = None
        self.help = None
        self.samples = []

    def __repr__(self):
        return "Family(%s, %s, %d samples)" % (self.name, self.type,
                                               len(self.samples))


def _unescape(text, pos, lineno, line, allow_quote):
    """Read an escaped string from text[pos:] up to an unescaped '"' (if
    allow_quote, for label values) or the end (HELP); return (string,
    position after it)."""
    out = []
    while pos < len(text):
        c = text[pos]
        if c == "\\":
            if pos + 1 >= len(text):
                raise ParseError(lineno, line, "backslash at the end")
            n = text[pos + 1]
            if n == "\\":
                out.append("\\")
            elif n == "n":
                out.append("\n")
            elif n == '"' and allow_quote:
                out.append('"')
            else:
                raise ParseError(lineno, line, "unknown escape \\%s" % n)
            pos += 2
        elif c == '"' and allow_quote:
            return "".join(out), pos
        else:
            out.append(c)
            pos += 1
    if allow_quote:
        raise ParseError(lineno, line, "label value not closed")
    return "".join(out), pos


def _skip_blank(text, pos):
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def parse_float(token):
    """A sample value as Prometheus (Go's ParseFloat) reads it."""
    if not FLOAT.fullmatch(token):
        raise ValueError("not a float: %r" % token)
    return float(token)


def _labels(line, pos, lineno):
    """Parse {name="value",...} at line[pos] == "{"; return (dict, pos
    after "}")."""
    labels = {}
    pos = _skip_blank(line, pos + 1)
    while True:
        if pos < len(line) and line[pos] == "}":
            return labels, pos + 1
        m = LABEL_NAME.match(line, pos)
        if not m:
            raise ParseError(lineno, line, "bad label name at column %d"
                             % (pos + 1))
        name = m.group(0)
        if name in labels:
            raise ParseError(lineno, line, "label %s twice" % name)
        pos = _skip_blank(line, m.end())
        if line[pos:pos + 1] != "=":
            raise ParseError(lineno, line, "expected = after label %s" % name)
        pos = _skip_blank(line, pos + 1)
        if line[pos:pos + 1] != '"':
            raise ParseError(lineno, line, "label %s: value not quoted"
                             % name)
        labels[name], pos = _unescape(line, pos + 1, lineno, line, True)
        pos = _skip_blank(line, pos + 1)
        if line[pos:pos + 1] == ",":
            pos = _skip_blank(line, pos + 1)
        elif line[pos:pos + 1] != "}":
            raise ParseError(lineno, line, "expected , or } after label %s"
                             % name)


def _sample(line, lineno):
    m = METRIC_NAME.match(line)
    if not m:
        raise ParseError(lineno, line, "bad metric name")
    name, pos = m.group(0), m.end()
    labels = {}
    brace = _skip_blank(line, pos)
    if line[brace:brace + 1] == "{":
        labels, pos = _labels(line, brace, lineno)
    elif line[pos:pos + 1] not in (" ", "\t"):
        raise ParseError(lineno, line, "no blank between name and value")
    rest = line[pos:]
    tokens = rest.split()
    if not 1 <= len(tokens) <= 2:
        raise ParseError(lineno, line, "expected a value and an optional "
                         "timestamp")
    try:
        value = parse_float(tokens[0])
    except ValueError as exc:
        raise ParseError(lineno, line, str(exc)) from None
    ts = None
    if len(tokens) == 2:
        if not TIMESTAMP.fullmatch(tokens[1]):
            raise ParseError(lineno, line, "bad timestamp")
        ts = int(tokens[1])
    return Sample(name, labels, value, ts)


def _family_of(name, families):
    """The family a sample name belongs to: itself, or a histogram or
    summary it is a _bucket/_sum/_count of."""
    for ftype, suffixes in SUFFIXES.items():
        for s in suffixes:
            base = name[:-len(s)]
            if name.endswith(s) and base in families and \
                    families[base].type == ftype:
                return base
    return name


def _meta(line, lineno, families, closed, current):
    """A "# HELP" or "# TYPE" line; anything else after "#" is a
    comment."""
    parts = line[1:].lstrip(" \t").split(None, 1)
    if not parts or parts[0] not in ("HELP", "TYPE"):
        return
    rest = parts[1] if len(parts) > 1 else ""
    m = METRIC_NAME.match(rest)
    if not m or (m.end() < len(rest) and rest[m.end()] not in " \t"):
        raise ParseError(lineno, line, "bad metric name after %s" % parts[0])
    name = m.group(0)
    arg = rest[m.end():].lstrip(" \t")
    if name in closed and name != current:
        raise ParseError(lineno, line, "%s of %s after its group ended"
                         % (parts[0], name))
    fam = families.setdefault(name, Family(name))
    if parts[0] == "HELP":
        if fam.help is not None:
            raise ParseError(lineno, line, "second HELP for %s" % name)
        fam.help, _ = _unescape(arg, 0, lineno, line, False)
        return
    if fam.type is not None:
        raise ParseError(lineno, line, "second TYPE for %s" % name)
    if fam.samples:
        raise ParseError(lineno, line, "TYPE of %s after its samples" % name)
    if arg.strip() not in TYPES:
        raise ParseError(lineno, line, "unknown type %r" % arg.strip())
    fam.type = arg.strip()


def parse(text, require_type=True):
    """Parse an exposition; return {family name: Family} in order.

    Raises ParseError naming the first offending line."""
    families = {}
    seen = set()        # (name, sorted labels) of every sample
    closed = set()      # families whose group of lines has started
    current = None
    if text and not text.endswith("\n"):
        raise ParseError(text.count("\n") + 1, text.rsplit("\n", 1)[-1],
                         "last line does not end with a newline")
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line.strip(" \t") == "":
            continue
        if line.lstrip(" \t").startswith("#"):
            _meta(line.lstrip(" \t"), lineno, families, closed, current)
            parts = line.lstrip(" \t")[1:].split()
            if len(parts) >= 2 and parts[0] in ("HELP", "TYPE"):
                if parts[1] != current:
                    closed.add(parts[1])
                current = parts[1]
            continue
        s = _sample(line.lstrip(" \t"), lineno)
        fname = _family_of(s.name, families)
        if fname != current and fname in closed:
            raise ParseError(lineno, line, "sample of %s outside its group"
                             % fname)
        closed.add(fname)
        current = fname
        fam = families.setdefault(fname, Family(fname))
        if fam.type is None and require_type:
            raise ParseError(lineno, line, "sample of %s without a TYPE"
                             % fname)
        key = (s.name, tuple(sorted(s.labels.items())))
        if key in seen:
            raise ParseError(lineno, line, "sample given twice")
        seen.add(key)
        fam.samples.append(s)
    return families


def samples(families, name, **labels):
    """Samples named name (across families) whose labels include
    labels."""
    out = []
    for fam in families.values():
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v
                                      for k, v in labels.items()):
                out.append(s)
    return out


def value(families, name, **labels):
    """The value of the one sample named name with these labels; raises
    KeyError if there is none or more than one."""
    found = samples(families, name, **labels)
    if len(found) != 1:
        raise KeyError("%d samples %s%s" % (len(found), name, labels))
    return found[0].value


def is_nan(v):
    return isinstance(v, float) and math.isnan(v)
