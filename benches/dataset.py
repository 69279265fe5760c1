"""The 1,000,000-key mixed dataset the persistence and replication benchmarks
share, written to stdout as RESP commands for `redis-cli --pipe`: small and
1 KB strings, hashes, lists, sets (intsets too) and sorted sets, small and
large."""
import sys, random
random.seed(7)
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
words = [("word%d" % i).encode() for i in range(5000)]
for i in range(600000):
    cmd("SET", "str:%d" % i, "value-%d" % i)
for i in range(50000):
    cmd("SET", "big:%d" % i, b" ".join(random.choice(words) for _ in range(120)))
for i in range(100000):
    cmd("HSET", "hash:%d" % i, *[x for j in range(5) for x in ("f%d" % j, "v%d" % (i + j))])
for i in range(1000):
    cmd("HSET", "bighash:%d" % i, *[x for j in range(200) for x in ("field%d" % j, "value%d" % j)])
for i in range(100000):
    cmd("RPUSH", "list:%d" % i, *["e%d" % j for j in range(5)])
for i in range(1000):
    cmd("RPUSH", "biglist:%d" % i, *["element-%d" % j for j in range(1000)])
for i in range(75000):
    cmd("SADD", "intset:%d" % i, *[i + j for j in range(5)])
for i in range(22000):
    cmd("SADD", "set:%d" % i, *["m%d" % j for j in range(5)])
for i in range(1000):
    cmd("SADD", "bigset:%d" % i, *["member%d" % j for j in range(600)])
for i in range(50000):
    cmd("ZADD", "zset:%d" % i, *[x for j in range(5) for x in (j * 1.5, "z%d" % j)])
for i in range(1000):
    cmd("ZADD", "bigzset:%d" % i, *[x for j in range(200) for x in (j * 0.25, "zm%d" % j)])
