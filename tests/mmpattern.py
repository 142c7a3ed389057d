"""A second, independent implementation of what mmbench's data files contain, of its
offset streams and of its checksum fold, written from their documentation (docs/results.md,
"Checksums and data"; src/run/offsets.h for the offset streams), to verify the binary from
the outside. tests/integration.py (pattern_doc) checks that the documentation itself, read
as written, reproduces real data files."""
import struct

MASK = (1 << 64) - 1
FILE_KEY = 0x6D6D62656E636801
WRITE_KEY = 0x7772697465000001


def mix64(x):
    """docs/results.md: one step of splitmix64, the increment and then the finaliser."""
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def file_word(offset):
    return mix64((offset // 8) ^ FILE_KEY)


def file_bytes(start, length):
    return b"".join(struct.pack("<Q", file_word(o)) for o in range(start, start + length, 8))


def write_block(length):
    return b"".join(struct.pack("<Q", mix64(i ^ WRITE_KEY)) for i in range(length // 8))


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro:
    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            self.s.append(mix64(seed & MASK))
            seed = (seed + 0x9E3779B97F4A7C15) & MASK

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        m = self.next() * n
        low = m & MASK
        if low < n:
            threshold = ((1 << 64) - n) % n
            while low < threshold:
                m = self.next() * n
                low = m & MASK
        return m >> 64


def offsets(pattern, file_size, block, stride, count, seed):
    slots = (file_size - block) // stride + 1
    if pattern == "sequential":
        return [(i % slots) * stride for i in range(count)]
    rng = Xoshiro(seed)
    return [rng.below(slots) * stride for _ in range(count)]


def operations(pattern, op, file_size, block, stride, count, seed, write_fraction=0.5):
    """[(offset, is_write)] of one thread's stream (uniform distribution), as
    src/run/offsets.c draws it: for readwrite, one more draw per operation decides."""
    slots = (file_size - block) // stride + 1
    rng = Xoshiro(seed)
    threshold = min(int(write_fraction * (1 << 64)), MASK)
    out = []
    for i in range(count):
        offset = (i % slots if pattern == "sequential" else rng.below(slots)) * stride
        is_write = op == "write" or (op == "readwrite" and rng.next() < threshold)
        out.append((offset, is_write))
    return out


def file_after_writes(file_size, block, ops):
    """The data file's content after the writes of ops (every write writes the same block,
    so their order does not matter)."""
    data = bytearray(file_bytes(0, file_size))
    written = write_block(block)
    for offset, is_write in ops:
        if is_write:
            data[offset:offset + block] = written
    return bytes(data)


def checksum(pattern, file_size, block, stride, count, seed, access):
    total = 0
    for off in offsets(pattern, file_size, block, stride, count, seed):
        if access == "copy":
            fold = (file_word(off) + file_word(off + block - 8)) & MASK
        else:
            fold = sum(file_word(o) for o in range(off, off + block, 8)) & MASK
        total = (rotl(total, 7) + fold) & MASK
    return total
