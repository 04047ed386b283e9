#!/usr/bin/env python3
"""Flame graphs from `perf script` text: folded stacks, or a static SVG (no
JavaScript) that can be checked into docs/ and shown on GitHub. The graphs of
docs/performance.md are made with it. Standard library only.

Record and convert (DWARF unwinding, so inlined frames show):

  perf record --call-graph dwarf -F 999 -o perf.data -- \\
      build/bench/bench/caseledger_bench --quick --only writes
  perf script -F comm,tid,ip,sym -i perf.data > profile.txt   # or plain `perf script`
  tools/flamegraph.py --title "Durable appends" -o docs/x.svg profile.txt

Usage:
  flamegraph.py [--folded] [--title T] [--comm C] [--tid N] [--min-percent P]
                [--width W] [-o OUT] [INPUT]
  flamegraph.py --self-test

Input: per sample a header line in column 0 (comm, then tid or pid/tid, then
anything), then indented frames `ip symbol`, innermost first, then a blank line.
`+0x..` offsets, ` (dso)` and ` (inlined)` suffixes are dropped; a run of
frames without a symbol becomes one `[unknown]` frame; a sample without frames
counts as `[no frames]`.

Output: --folded writes `outer;...;inner count` lines, sorted. Otherwise an SVG:
root `all` at the bottom, each box as wide as its samples, children in
alphabetical order. Labels are shortened C++ names (template and argument lists
become `<…>` and `(…)`); each box's <title> tooltip has the full name, its
samples and percent. Boxes under --min-percent of all samples are left out.
Exit code: 0 done, 1 no sample matched (or a self-test failed), 2 bad usage.
"""
import argparse
import collections
import hashlib
import re
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

UNKNOWN, NO_FRAMES = "[unknown]", "[no frames]"
FRAME_RE = re.compile(r"\s+([0-9a-fA-F]+)(?:\s+(.*?))?\s*$")
DSO_RE = re.compile(r" \((?:/[^()]*|\[[^\]]*\])\)$")  # " (/lib/x.so)", " ([kernel.kallsyms])"
OFFSET_RE = re.compile(r"\+0x[0-9a-fA-F]+$")
TID_RE = re.compile(r"(?:-?\d+/)?(\d+)$")
PAIRS = {"<": ">", "(": ")", "[": "]", "{": "}"}
OPERATOR_CHARS = "+-*/%^&|~!=<>,"
XPAD, TOP, BOTTOM, FRAME_H, CHAR_W = 10, 44, 8, 16, 7.0  # CHAR_W: 12 px Verdana


def symbol(text):
    """The frame's function name, or None for an unknown frame."""
    sym = DSO_RE.sub("", (text or "").strip())
    if sym.endswith(" (inlined)"):
        sym = sym[: -len(" (inlined)")]
    sym = OFFSET_RE.sub("", sym).strip()
    return None if sym in ("", UNKNOWN) else sym.replace(";", ":")


def parse(lines, comm=None, tid=None):
    """Counter of stacks (tuples, outermost frame first) of matching samples."""
    stacks = collections.Counter()
    frames, keep = None, False

    def flush():
        if frames is not None and keep:
            stack = []
            for name in frames:  # innermost first; collapse unknown runs
                if name is None:
                    if stack and stack[-1] == UNKNOWN:
                        continue
                    name = UNKNOWN
                stack.append(name)
            stacks[tuple(reversed(stack)) or (NO_FRAMES,)] += 1

    for line in lines:
        line = line.rstrip("\r\n")
        if not line.strip():
            flush()
            frames = None
        elif line[0] in " \t":
            m = FRAME_RE.match(line)
            if frames is not None and m:
                frames.append(symbol(m.group(2)))
        elif not line.startswith("#"):  # a sample header
            flush()
            toks = line.split()
            m = TID_RE.match(toks[1]) if len(toks) > 1 else None
            t = int(m.group(1)) if m else None
            keep = (comm is None or comm in toks[0]) and (tid is None or t == tid)
            frames = []
    flush()
    return stacks


def folded(stacks):
    return "".join(f"{';'.join(s)} {n}\n" for s, n in sorted(stacks.items()))


def _close(name, i):
    """Index of the bracket closing the one at name[i]; ValueError if none."""
    want = []
    for j in range(i, len(name)):
        c = name[j]
        if c in PAIRS:
            want.append(PAIRS[c])
        elif c in ")>]}":
            if not want or want.pop() != c:
                raise ValueError(name)
            if not want:
                return j
    raise ValueError(name)


def shorten(name):
    """Drop template and argument lists at the top level of a C++ name, keeping
    namespaces, operators, `{lambda()#1}` and `(anonymous namespace)`. A name
    whose brackets do not pair up (e.g. `operator<` inside a list) is kept."""
    out, i = [], 0
    try:
        while i < len(name):
            c = name[i]
            if name.startswith("operator", i) and (
                    i == 0 or not (name[i - 1].isalnum() or name[i - 1] == "_")):
                j = i + len("operator")
                if name.startswith("()", j) or name.startswith("[]", j):
                    j += 2
                else:
                    while j < len(name) and name[j] in OPERATOR_CHARS:
                        j += 1
                out.append(name[i:j])
                i = j
            elif c == "{" or name.startswith(("(anonymous namespace)", "<lambda"), i):
                j = _close(name, i)
                out.append(name[i:j + 1])
                i = j + 1
            elif c in "<(":
                j = _close(name, i)
                out.append(c + ("…" if j > i + 1 else "") + name[j])
                i = j + 1
            elif c in ">)}":
                return name
            else:
                out.append(c)
                i += 1
    except ValueError:
        return name
    return "".join(out)


class Node:
    __slots__ = ("name", "count", "kids")

    def __init__(self, name):
        self.name, self.count, self.kids = name, 0, {}


def tree(stacks):
    root = Node("all")
    for stack, n in stacks.items():
        root.count += n
        node = root
        for name in stack:
            kid = node.kids.get(name)
            if kid is None:
                kid = node.kids[name] = Node(name)
            kid.count += n
            node = kid
    return root


def colour(name):
    """A warm colour (red to yellow) fixed by the name."""
    h = hashlib.md5(name.encode("utf-8")).digest()
    return f"rgb({205 + h[0] * 50 // 255},{h[1] * 230 // 255},{h[2] * 55 // 255})"


def attr(text):
    """Text made safe for XML element content and quoted attributes."""
    text = "".join(c for c in text if c >= " " or c == "\t")
    return escape(text, {'"': "&quot;", "'": "&apos;"})


def svg(stacks, title="Flame Graph", width=1200, min_percent=0.1):
    root = tree(stacks)
    total = root.count
    scale = (width - 2 * XPAD) / total
    boxes, todo = [], [(root, 0, 0)]  # (node, depth, samples left of it)
    while todo:  # iterative: stacks may be deeper than Python's recursion limit
        node, depth, x = todo.pop()
        boxes.append((node, depth, x))
        for name in sorted(node.kids):
            kid = node.kids[name]
            if kid.count * 100 >= min_percent * total:
                todo.append((kid, depth + 1, x))
            x += kid.count
    height = TOP + FRAME_H * (1 + max(d for _, d, _ in boxes)) + BOTTOM
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
           f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}">\n',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f8f8f0"/>\n',
           '<g font-family="Verdana, DejaVu Sans, sans-serif" font-size="12" fill="#000">\n',
           f'<text x="{width / 2:.0f}" y="22" font-size="17" text-anchor="middle">'
           f'{attr(title)}</text>\n',
           f'<text x="{XPAD}" y="38" fill="#555">{total} samples; boxes under '
           f'{min_percent:g}% left out; full names in the tooltips</text>\n']
    for node, depth, x in sorted(boxes, key=lambda b: (b[1], b[2])):
        bx, bw = XPAD + x * scale, node.count * scale
        by = height - BOTTOM - FRAME_H * (depth + 1)
        pct = 100.0 * node.count / total
        label, fit = shorten(node.name), int((bw - 6) / CHAR_W)
        if len(label) > fit:
            label = label[:fit - 2] + ".." if fit >= 3 else ""
        samples = f"{node.count} sample{'s' if node.count != 1 else ''}"
        out.append(f'<g><title>{attr(node.name)} ({samples}, {pct:.2f}%)</title>'
                   f'<rect x="{bx:.2f}" y="{by}" width="{bw:.2f}" height="{FRAME_H - 1}" '
                   f'rx="2" fill="{colour(node.name)}"/>')
        if label:
            out.append(f'<text x="{bx + 3:.2f}" y="{by + 11.5}">{attr(label)}</text>')
        out.append("</g>\n")
    out.append("</g>\n</svg>\n")
    return "".join(out)


SELF_TEST_INPUT = """\
caseledger_benc 11
\t    7ffb0001 crypto_sign
\t    7ffb0002 ns::Writer::Chain(std::vector<ns::Pending, std::allocator<ns::Pending> >) (inlined)
\t    7ffb0003 main

caseledger_benc 11
\t    7ffb0001 crypto_sign+0x1f (/usr/lib/libsodium.so.23)
\t    7ffb0002 ns::Writer::Chain(std::vector<ns::Pending, std::allocator<ns::Pending> >) (inlined)
\t    7ffb0003 main

caseledger_benc 12 [001] 123.456789:     250000 cycles:u:
\t    7ffb0004 [unknown]
\t    7ffb0005
\t    7ffb0006 [unknown] ([unknown])
\t    7ffb0007 ns::Pool::{lambda()#1}::operator()
\t    7ffb0003 main

:13 13
\t    7ffb0008 ns::Esc<'"&'>::operator<
\t    7ffb0003 main

other 7/14

"""


def self_test():
    failures = []

    def check(what, ok):
        print(f"self-test: {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)

    lines = SELF_TEST_INPUT.splitlines()
    chain = "ns::Writer::Chain(std::vector<ns::Pending, std::allocator<ns::Pending> >)"
    check("folding order and counts", folded(parse(lines)) == (
        "[no frames] 1\n"
        f"main;ns::Esc<'\"&'>::operator< 1\n"
        "main;ns::Pool::{lambda()#1}::operator();[unknown] 1\n"
        f"main;{chain};crypto_sign 2\n"))
    check("--comm keeps 3 samples", sum(parse(lines, comm="ledger_b").values()) == 3)
    check("--tid 13", folded(parse(lines, tid=13)) == "main;ns::Esc<'\"&'>::operator< 1\n")
    check("--tid from pid/tid", list(parse(lines, tid=14)) == [(NO_FRAMES,)])
    check("unknown frames collapse to one",
          list(parse(lines, tid=12))[0][-2:] == ("ns::Pool::{lambda()#1}::operator()", UNKNOWN))
    for full, short in [
            ("std::vector<caseledger::ledger::Writer::Pending, std::allocator<"
             "caseledger::ledger::Writer::Pending> >::push_back", "std::vector<…>::push_back"),
            (chain, "ns::Writer::Chain(…)"),
            ("std::function<void (unsigned int)>::operator()", "std::function<…>::operator()"),
            ("a::B::Prepare(std::vector<Pending>)::{lambda(unsigned int)#3}::operator()",
             "a::B::Prepare(…)::{lambda(unsigned int)#3}::operator()"),
            ("(anonymous namespace)::F<int>::operator<<(int) const",
             "(anonymous namespace)::F<…>::operator<<(…) const"),
            ("std::less<void>::operator()<int&, int&>(int&, int&)",
             "std::less<…>::operator()<…>(…)"),
            ("f(std::less<int>::operator<)", "f(std::less<int>::operator<)")]:
        check(f"shorten {full[:40]}", shorten(full) == short)
    try:
        doc = ET.fromstring(svg(parse(lines), title='T <&> "q"', width=1000))
    except ET.ParseError as e:
        check(f"SVG is well-formed XML ({e})", False)
        return 1
    check("SVG is well-formed XML", True)
    ns = "{http://www.w3.org/2000/svg}"
    boxes = {}
    for g in doc.iter(ns + "g"):
        t, r = g.find(ns + "title"), g.find(ns + "rect")
        if t is not None and r is not None:
            boxes[t.text] = (float(r.get("x")), float(r.get("width")),
                             g.findtext(ns + "text"))
    check("root box with the total",
          boxes.get("all (5 samples, 100.00%)", (0, 0))[1] == 980.0)
    kid = boxes.get(f"{chain} (2 samples, 40.00%)")
    check("full name in title, short label", kid is not None and kid[2] == "ns::Writer::Chain(…)")
    check("child width proportional", kid is not None and abs(kid[1] - 980 * 2 / 5) < 0.01)
    check("escaped name round-trips", "ns::Esc<'\"&'>::operator< (1 sample, 20.00%)" in boxes)
    pruned = ET.fromstring(svg(parse(lines), width=1000, min_percent=30))
    titles = [t.text for t in pruned.iter(ns + "title")]
    check("--min-percent 30 prunes 1-sample boxes", titles == [
        "all (5 samples, 100.00%)", "main (4 samples, 80.00%)",
        f"{chain} (2 samples, 40.00%)", "crypto_sign (2 samples, 40.00%)"])
    print(f"self-test: {len(failures)} failure(s)")
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(description="Flame graph (folded or SVG) from perf script text.")
    ap.add_argument("--folded", action="store_true", help="write folded stacks, not SVG")
    ap.add_argument("--title", default="Flame Graph")
    ap.add_argument("--comm", help="only samples whose comm contains this")
    ap.add_argument("--tid", type=int, help="only samples of this thread id")
    ap.add_argument("--min-percent", type=float, default=0.1,
                    help="leave out boxes under this percent of all samples (0.1)")
    ap.add_argument("--width", type=int, default=1200, help="SVG width in px (1200)")
    ap.add_argument("-o", dest="out", help="output file (default stdout)")
    ap.add_argument("input", nargs="?", help="perf script output (default stdin)")
    args = ap.parse_args(argv[1:])
    if args.width <= 2 * XPAD:
        ap.error("--width too small")
    if args.input:
        with open(args.input, encoding="utf-8", errors="replace") as f:
            stacks = parse(f, args.comm, args.tid)
    else:
        stacks = parse(open(sys.stdin.fileno(), encoding="utf-8", errors="replace",
                            closefd=False), args.comm, args.tid)
    if not stacks:
        print("flamegraph.py: no sample matched", file=sys.stderr)
        return 1
    text = folded(stacks) if args.folded else svg(stacks, args.title, args.width,
                                                  args.min_percent)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        try:
            sys.stdout.buffer.write(text.encode("utf-8"))
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. `| head`
            sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
