#!/usr/bin/env python3
# import-seeds.py OUT_DIR - the committed seeds of the `mirage` and `fxt`
# fuzz targets (fuzz/corpus/mirage, fuzz/corpus/fxt), written byte by
# byte from the formats' specs: every mirage-profile op in one packet, a
# wrapped four-packet ring, packets with a hole; every FXT record kind
# ringside reads, inline and interned strings and threads, and records
# it skips. Run by hand when the importers learn something new:
#   python3 fuzz/import-seeds.py fuzz/corpus
import os, struct, sys

out = sys.argv[1]
UUID = bytes.fromhex("05883b8d521a487bb397456ab150680c")

def packet(count, events, size=512):
    body = b"".join(events)
    content = 30 + len(body)
    assert content <= size
    hdr = struct.pack("<I16sIHI", 0xc1fc1fc1, UUID, size * 8, count, content * 8)
    return (hdr + body).ljust(size, b"\xee")

def ev(ts, op, *fields):
    return struct.pack("<QB", ts, op) + b"".join(fields)

q = lambda v: struct.pack("<q", v) if v < 0 else struct.pack("<Q", v)
s = lambda t: t.encode() + b"\0"

every = [
    ev(1, 7, q(0)), ev(2, 0, q(0), q(5), b"\x02"), ev(3, 0, q(5), q(6), b"\x0c"),
    ev(4, 0, q(-1), q(7), b"\x63"), ev(5, 1, q(0), q(5)), ev(6, 10, q(0), q(6)),
    ev(7, 2, q(0), q(5)), ev(8, 3, q(6), q(6), s("Not_found")),
    ev(9, 4, q(7), q(5)), ev(10, 5, q(5), s("net rx")), ev(11, 9, q(0), q(7)),
    ev(12, 6, q(0), q(3), s("pkts")), ev(13, 11, q(0), q(-4), s("pkts")),
    ev(14, 7, q(-1)), ev(15, 7, q(2)), ev(16, 8, q(99000)),
]
seeds = {
    "mirage/every-op": packet(0, every, 1024),
    "mirage/wrapped": b"".join(packet(c, [ev(c * 10, 1, q(0), q(c))])
                               for c in (4, 5, 2, 3)),
    "mirage/u16-wrap": b"".join(packet(c, [ev(i, 5, q(c), s("x" * i))])
                                for i, c in enumerate((0, 1, 65534, 65535))),
    "mirage/hole": b"".join(packet(c, [ev(c, 2, q(0), q(c))]) for c in (0, 1, 3)),
}

def w(*vals):
    return b"".join(struct.pack("<Q", v & 0xffffffffffffffff) for v in vals)

def fstr(idx, text):
    b = text.encode()
    n = (len(b) + 7) // 8
    return w(2 | (1 + n) << 4 | idx << 16 | len(b) << 32) + b.ljust(n * 8, b"\0")

def evh(words, etype, nargs, th, cat, name):
    return 4 | words << 4 | etype << 16 | nargs << 20 | th << 24 | cat << 32 | name << 48

head = (w(0x0016547846040010) + w(1 | 2 << 4, 1000000) + fstr(1, "cat") +
        fstr(2, "work") + fstr(3, "value") + fstr(4, "process") + fstr(5, "worker") +
        w(3 | 3 << 4 | 1 << 16, 7, 42))
dbl = struct.unpack("<Q", struct.pack("<d", 2.5))[0]
body = (w(7 | 4 << 4 | 2 << 16 | 5 << 24 | 1 << 40, 42, 8 | 2 << 4 | 4 << 16, 7) +
        w(evh(3, 0, 1, 1, 1, 2), 1, 1 | 1 << 4 | 3 << 16 | (0xfffffffb << 32)) +
        w(evh(5, 1, 1, 1, 1, 2), 2, 4 | 2 << 4 | 3 << 16, 9, 1) +
        w(evh(6, 1, 2, 1, 1, 2), 3, 1 | 1 << 4 | 3 << 16 | 3 << 32,
          5 | 2 << 4 | 4 << 16, dbl, 1) +
        w(evh(2, 2, 0, 1, 1, 2), 4, evh(3, 4, 0, 1, 1, 2), 5, 6) +
        w(evh(3, 8, 0, 1, 1, 2), 6, 77, evh(2, 3, 0, 1, 1, 2), 7) +
        w(evh(4, 5, 0, 1, 1, 0x8002), 8, ord('i') | ord('o') << 8, 500) +
        w(evh(3, 6, 0, 1, 1, 2), 9, 500, evh(3, 7, 0, 1, 1, 2), 10, 500) +
        w(evh(4, 2, 0, 0, 1, 2), 11, 7, 43, evh(5, 10, 0, 0, 1, 2), 11, 7, 43, 77) +
        w(evh(4, 3, 0, 0, 1, 2), 12, 7, 43) +
        w(8 | 4 << 4 | 2 << 20 | 1 << 60, 13, 42, 43) +
        w(8 | 4 << 4 | 1 << 16 | 1 << 28, 14, 7, 43) +
        w(8 | 3 << 4 | 3 << 20 | 2 << 60, 15, 42) +
        w(9 | 3 << 4 | 2 << 16 | 1 << 32, 16, ord('h') | ord('i') << 8) +
        w(0 | 1 << 4 | 3 << 16 | 9 << 20) +
        w(5 | 2 << 4 | 8 << 32, 0, 12 | 3 << 4, 0, 0) +
        w(15 | 2 << 4, 0) + w(evh(2, 3, 0, 1, 1, 2), 17))
seeds["fxt/every-record"] = head + body
seeds["fxt/durations"] = (w(0x0016547846040010) + fstr(1, "c") + fstr(2, "a") +
    w(3 | 3 << 4 | 1 << 16, 1, 1) +
    b"".join(w(evh(2, 2 + (i % 2), 0, 1, 1, 2), i * 10) for i in range(12)))
for name, data in seeds.items():
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print(f"{path}: {len(data)} bytes")
