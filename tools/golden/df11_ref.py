"""An independent re-statement of the DFloat11 unit layout, written from
docs/DFLOAT11-NOTES.md and /work/shared/docs/dfloat11-layout.md (not from the
official code), used by make_golden.py to check those facts against the official
bytes: every unit the official compressor writes is rebuilt here and compared
byte for byte, and decoded back to the source weights on the CPU.

Pure Python + numpy; slow (about 1 s per million weights), fine for fixtures.
"""
import heapq

import numpy as np

EOF = "EOF"


def split_bf16(words):
    """words: uint16 array -> (exponent bytes, sign-mantissa bytes)."""
    w = words.astype(np.uint16)
    exp = ((w >> 7) & 0xFF).astype(np.uint8)
    sm = (((w >> 8) & 0x80) | (w & 0x7F)).astype(np.uint8)
    return exp, sm


def huffman(counts):
    """counts: {int symbol: count}. Returns [(symbol, length, value)] in tree order
    (left to right = ascending code value); EOF (count 1) is added.

    Heap key: (total count, first symbol); EOF sorts before every integer symbol.
    The two smallest are popped; the first popped gets bit 0 and passes its first
    symbol on to the merged node."""
    def key(sym):
        return (0, 0) if sym == EOF else (1, sym)

    heap = []
    for s, c in list(counts.items()) + [(EOF, 1)]:
        heap.append((c, key(s), [(s, 0, 0)]))
    heapq.heapify(heap)
    while len(heap) > 1:
        ca, ka, la = heapq.heappop(heap)
        cb, kb, lb = heapq.heappop(heap)
        merged = [(s, n + 1, v) for (s, n, v) in la] + [(s, n + 1, (1 << n) | v) for (s, n, v) in lb]
        heapq.heappush(heap, (ca + cb, ka, merged))
    return heap[0][2]


def max_len(codes):
    return max(n for _, n, _ in codes)


def limit32(counts):
    """The official 32-bit limiter, restated. Returns (codes, new_counts, k_final, forced_keys,
    tie_ks). k_final is None when the limiter did not run. tie_ks lists the iterations k whose
    k smallest counts were not uniquely determined (the k-th and (k+1)-th smallest are equal and
    above 1): there the official choice is whatever numpy.argpartition returns, which depends on
    numpy's build and the CPU (see docs/DFLOAT11-NOTES.md)."""
    codes = huffman(counts)
    if max_len(codes) <= 32:
        return codes, dict(counts), None, [], []
    keys = list(counts.keys())
    freq = np.array([counts[k] for k in keys])
    k = 2
    tie = []
    while True:
        order = sorted(range(len(keys)), key=lambda i: freq[i])  # any tie order; checked below
        if k < len(keys) and freq[order[k - 1]] == freq[order[k]] and freq[order[k - 1]] != 1:
            tie.append(k)
        # official: np.argpartition(freq, k)[:k]; same set whenever there is no tie at the boundary
        chosen = np.argpartition(freq, k)[:k]
        new = dict(counts)
        for i in chosen:
            new[keys[i]] = 1
        codes = huffman(new)
        if max_len(codes) <= 32:
            forced = sorted(keys[i] for i in chosen)
            return codes, new, k, forced, tie
        k += 1


def code_str(n, v):
    return format(v, "b").rjust(n, "0")


def luts(codes):
    """codes from huffman(). Returns (uint8 [k+1, 256] array, info dict)."""
    real = [(s, n, v) for (s, n, v) in codes if s != EOF]
    prefixes = [""]
    for s, n, v in real:
        p = code_str(n, v)[: (n - 1) // 8 * 8]
        if p not in prefixes:
            prefixes.append(p)
    prefixes.sort(key=len)  # stable
    out = np.zeros((len(prefixes) + 1, 256), dtype=np.uint8)
    cur = None
    carried_into = []  # tables whose entry 0 is carried over from the table before
    for t, p in enumerate(prefixes):
        m = len(p) // 8
        entries = {}
        for s, n, v in real:
            b = code_str(n, v)
            if not b.startswith(p):
                continue
            if (n - 1) // 8 == m:
                entries[int(b[8 * m:].ljust(8, "0"), 2)] = s
            else:
                entries[int(b[8 * m: 8 * m + 8], 2)] = 256 - prefixes.index(b[: 8 * m + 8])
        if 0 not in entries:
            if cur is None:
                raise ValueError("table 0 has no entry at byte 0 (the official code fails here too)")
            carried_into.append(t)
        for i in range(256):
            if i in entries:
                cur = entries[i]
            out[t, i] = cur
    for s, n, v in real:
        out[-1, s] = n
    return out, {"prefixes": prefixes, "tables_with_carried_entry0": carried_into}


def encode(exps, codes, bytes_per_thread=8, threads_per_block=512):
    """exps: sequence of exponent bytes. Returns (bitstream, gaps, output_positions) as bytes."""
    table = {s: (n, v) for (s, n, v) in codes}
    win = 8 * bytes_per_thread
    blk = win * threads_per_block
    gaps, outpos = [], []
    bits = []  # list of '0'/'1' strings, joined at the end
    pos = 0
    exps = list(exps)

    def marks(p, idx):
        if p // win == len(gaps):
            gaps.append(p % win)
        if p // blk == len(outpos):
            outpos.append(idx)

    for i, e in enumerate(exps):
        marks(pos, i)
        n, v = table[e]
        bits.append(code_str(n, v))
        pos += n
    s = "".join(bits)
    if pos % 8:
        marks(pos, len(exps))
        n, v = table[EOF]
        tail = s[pos - pos % 8:] + code_str(n, v)
        s = s[: pos - pos % 8] + tail[:8].ljust(8, "0")
    stream = bytes(int(s[i:i + 8], 2) for i in range(0, len(s), 8))
    outpos.append(len(exps))
    nblocks = -(-len(stream) // (bytes_per_thread * threads_per_block))
    gaps += [0] * (threads_per_block * nblocks - len(gaps))
    gbits = "".join(format(g, "05b") for g in gaps)
    gbits = gbits.ljust(-(-len(gbits) // 8) * 8, "0")
    gap_bytes = bytes(int(gbits[i:i + 8], 2) for i in range(0, len(gbits), 8))
    return stream, gap_bytes, np.array(outpos, dtype="<u4").tobytes()


def decode(lut, stream, n):
    """Sequential CPU decode of n exponents using only the decode tables."""
    lens = lut[-1]
    data = stream + b"\0\0\0\0\0"
    out = np.empty(n, dtype=np.uint8)
    bitpos = 0

    def byte_at(p):
        q, r = divmod(p, 8)
        return ((data[q] << 8 | data[q + 1]) >> (8 - r)) & 0xFF

    for i in range(n):
        t, p = 0, bitpos
        v = lut[t, byte_at(p)]
        while v >= 240:
            t = 256 - int(v)
            p += 8
            v = lut[t, byte_at(p)]
        out[i] = v
        bitpos += int(lens[v])
    return out
