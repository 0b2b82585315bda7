#!/usr/bin/env python3
"""read_fxt.py - a minimal, independent reader of the Fuchsia trace format,
for the tests of `ringside export --fxt` (tests/formats/test_export_fxt.c).

It checks what a reader relies on and exits 1 with one line on the first
fault: the magic record first, an initialization record, every record's
size within the file and equal to what its fields take (arguments and
inline strings included), every string reference to an index defined
before, every thread inline. Then it prints, one per line, sorted:
  records TYPE N
  ticks_per_second N
  events KIND CATEGORY N            (KIND: instant counter complete ...)
  event KIND CATEGORY NAME N        (but async events, named by label)
  args KIND CATEGORY ARG SUM        (the sum of an integer argument)
  strarg KIND CATEGORY ARG VALUE N  (string arguments)
  kobj TYPE N
  async_unmatched N                 (async begins without their end)
  flow_unmatched N
  ts_first N / ts_last N            (the earliest event time, and the
                                     latest, a complete event's end
                                     included; ticks)
"""
import struct
import sys
from collections import Counter

KINDS = {0: 'instant', 1: 'counter', 2: 'begin', 3: 'end', 4: 'complete',
         5: 'async_begin', 6: 'async_instant', 7: 'async_end',
         8: 'flow_begin', 9: 'flow_step', 10: 'flow_end'}


def fail(msg):
    print(f'read_fxt: {msg}', file=sys.stderr)
    sys.exit(1)


def main(path):
    data = open(path, 'rb').read()
    if len(data) % 8:
        fail(f'{len(data)} bytes: not whole words')
    words = struct.unpack(f'<{len(data) // 8}Q', data)
    strings = {}
    out = Counter()
    sums = Counter()
    asyncs = Counter()
    flows = Counter()
    times = []
    pos = 0
    first = True
    while pos < len(words):
        h = words[pos]
        rtype, size = h & 0xf, (h >> 4) & 0xfff
        if size == 0 or pos + size > len(words):
            fail(f'word {pos}: record size {size} runs past the end')
        rec = words[pos:pos + size]
        if first and h != 0x0016547846040010:
            fail('the first record is not the magic number record')
        first = False
        out[('records', rtype)] += 1
        used = parse(rtype, h, rec, strings, out, sums, asyncs, flows, pos,
                     times)
        if used != size:
            fail(f'word {pos}: type {rtype} record of {size} words uses {used}')
        pos += size
    if ('ticks_per_second',) not in out:
        fail('no initialization record')
    lines = []
    for k, n in out.items():
        if k[0] == 'ticks_per_second':
            lines.append(f'ticks_per_second {n}')
        else:
            lines.append(' '.join(str(x) for x in k) + f' {n}')
    for k, n in sums.items():
        lines.append('args ' + ' '.join(str(x) for x in k) + f' {n}')
    lines.append(f'async_unmatched {sum(abs(v) for v in asyncs.values())}')
    lines.append(f'flow_unmatched {sum(abs(v) for v in flows.values())}')
    if times:
        lines.append(f'ts_first {min(times)}')
        lines.append(f'ts_last {max(times)}')
    print('\n'.join(sorted(lines)))


def string_at(rec, i, n):
    """n bytes of inline string from word i; returns (text, words)."""
    nw = (n + 7) // 8
    if i + nw > len(rec):
        fail('an inline string runs past its record')
    raw = struct.pack(f'<{nw}Q', *rec[i:i + nw])[:n]
    return raw.decode('utf-8', 'replace'), nw


def ref(r, rec, i, strings):
    """A string reference; returns (text, words it took inline)."""
    if r == 0:
        return '', 0
    if r & 0x8000:
        return string_at(rec, i, r & 0x7fff)
    if r not in strings:
        fail(f'string index {r} used before it was defined')
    return strings[r], 0


def parse(rtype, h, rec, strings, out, sums, asyncs, flows, pos, times):
    if rtype == 0:
        return 1
    if rtype == 1:
        if len(rec) != 2:
            fail('initialization record is not 2 words')
        out[('ticks_per_second',)] = rec[1]
        return 2
    if rtype == 2:
        idx, n = (h >> 16) & 0x7fff, (h >> 32) & 0x7fff
        if idx == 0:
            fail('string record with index 0')
        strings[idx], nw = string_at(rec, 1, n)
        return 1 + nw
    if rtype == 7:
        otype, name, nargs = (h >> 16) & 0xff, (h >> 24) & 0xffff, (h >> 40) & 0xf
        _, i = ref(name, rec, 2, strings)
        i += 2
        for _ in range(nargs):
            i, _, _, _ = arg(rec, i, strings)
        out[('kobj', otype)] += 1
        return i
    if rtype == 4:
        kind = (h >> 16) & 0xf
        nargs, thread = (h >> 20) & 0xf, (h >> 24) & 0xff
        cat_r, name_r = (h >> 32) & 0xffff, (h >> 48) & 0xffff
        if thread != 0:
            fail(f'word {pos}: thread reference {thread}, not inline')
        times.append(rec[1])
        i = 4
        cat, n = ref(cat_r, rec, i, strings)
        i += n
        name, n = ref(name_r, rec, i, strings)
        i += n
        k = KINDS.get(kind, f'kind{kind}')
        out[('events', k, cat)] += 1
        # promises are named after their labels: counted by kind only
        if kind not in (5, 7):
            out[('event', k, cat, name.replace(' ', '_') or '-')] += 1
        for _ in range(nargs):
            i, aname, ival, sval = arg(rec, i, strings)
            if ival is not None:
                sums[(k, cat, aname)] += ival
            else:
                out[('strarg', k, cat, aname, sval.replace(' ', '_'))] += 1
        if kind in (1, 4, 5, 6, 7, 8, 9, 10):
            if i >= len(rec):
                fail(f'word {pos}: {k} event without its last word')
            if kind == 4:
                times.append(rec[i])
            if kind in (5, 7):
                asyncs[rec[i]] += 1 if kind == 5 else -1
            if kind in (8, 10):
                flows[rec[i]] += 1 if kind == 8 else -1
            i += 1
        return i
    fail(f'word {pos}: record type {rtype} this writer never writes')


def arg(rec, i, strings):
    """One argument from word i: (next word, name, int value, string)."""
    if i >= len(rec):
        fail('an argument runs past its record')
    h = rec[i]
    atype, size, name_r = h & 0xf, (h >> 4) & 0xfff, (h >> 16) & 0xffff
    name, n = ref(name_r, rec, i + 1, strings)
    j = i + 1 + n
    ival, sval = None, None
    if atype in (3, 4, 8):
        if j >= len(rec):
            fail('a 64-bit argument without its value')
        ival = rec[j] - (1 << 64) if atype == 3 and rec[j] >> 63 else rec[j]
        j += 1
    elif atype == 6:
        sval, n = ref((h >> 32) & 0xffff, rec, j, strings)
        j += n
    else:
        fail(f'argument type {atype} this writer never writes')
    if j - i != size:
        fail(f'argument "{name}" of {size} words uses {j - i}')
    return j, name, ival, sval


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: read_fxt.py TRACE.fxt', file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
