"""Writes dump.txt, the DUMP/RESTORE case file, beside this script.

Run from this directory: python3 make_dump_cases.py
It starts its own redis-server 7.0 on a free loopback port (stopped after)
and takes from it every payload the RESTORE lines carry: what it DUMPs, and
crafted payloads (older RDB versions and types, bad data) with a correct
CRC-64. Payloads of hash tables change from run to run (the table's order
is seeded at random); everything else comes out the same.
"""
import atexit, os, random, socket, struct, subprocess, sys, tempfile, time


POLY = 0x95ac9329ac4bc9b5  # reflected 0xad93d23594c935a9
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)

def crc64(data, crc=0):
    for b in data:
        crc = TABLE[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc

assert crc64(b"123456789") == 0xe9c6d914c4b8d9ca, hex(crc64(b"123456789"))

def payload(body, version=10, crc=None):
    data = body + struct.pack('<H', version)
    c = crc64(data) if crc is None else crc
    return data + struct.pack('<Q', c)

def rlen(n):
    if n < 64: return bytes([n])
    if n < 16384: return bytes([0x40 | (n >> 8), n & 0xff])
    if n <= 0xffffffff: return b'\x80' + struct.pack('>I', n)
    return b'\x81' + struct.pack('>Q', n)

def rstr(s):
    return rlen(len(s)) + s

def repr_bytes(b):
    out = []
    for c in b:
        ch = chr(c)
        if ch == '\\': out.append('\\\\')
        elif ch == '"': out.append('\\"')
        elif ch == '\n': out.append('\\n')
        elif ch == '\r': out.append('\\r')
        elif ch == '\t': out.append('\\t')
        elif ch == '\a': out.append('\\a')
        elif ch == '\b': out.append('\\b')
        elif 32 <= c < 127: out.append(ch)
        else: out.append('\\x%02x' % c)
    return '"' + ''.join(out) + '"'

# ziplist encoding (Redis <= 6.2)
def zl_entry(prevlen, v):
    if prevlen < 254: pl = bytes([prevlen])
    else: pl = b'\xfe' + struct.pack('<I', prevlen)
    if isinstance(v, int):
        if 0 <= v <= 12: enc = bytes([0xf1 + v]); data = b''
        elif -128 <= v <= 127: enc = b'\xfe'; data = struct.pack('<b', v)
        elif -32768 <= v <= 32767: enc = b'\xc0'; data = struct.pack('<h', v)
        elif -(1<<23) <= v < (1<<23): enc = b'\xf0'; data = struct.pack('<i', v)[:3]
        elif -(1<<31) <= v < (1<<31): enc = b'\xd0'; data = struct.pack('<i', v)
        else: enc = b'\xe0'; data = struct.pack('<q', v)
    else:
        n = len(v)
        if n < 64: enc = bytes([n])
        elif n < 16384: enc = bytes([0x40 | (n >> 8), n & 0xff])
        else: enc = b'\x80' + struct.pack('>I', n)
        data = v
    return pl + enc + data

def ziplist(items):
    entries = b''
    prev = 0
    for it in items:
        e = zl_entry(prev, it)
        entries += e
        prev = len(e)
    header_len = 10
    total = header_len + len(entries) + 1
    tail = header_len + len(entries) - prev if items else header_len
    return struct.pack('<IIH', total, tail, min(len(items), 65535)) + entries + b'\xff'

def zipmap(pairs):
    out = bytes([min(len(pairs), 254)])
    for k, v in pairs:
        out += bytes([len(k)]) + k + bytes([len(v)]) + b'\x00' + v
    return out + b'\xff'

class Redis:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port))
        self.f = self.s.makefile('rb')
    def call(self, *args):
        out = b'*%d\r\n' % len(args)
        for a in args:
            if isinstance(a, str): a = a.encode()
            if isinstance(a, int): a = str(a).encode()
            out += b'$%d\r\n%s\r\n' % (len(a), a)
        self.s.sendall(out)
        return self.read()
    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b'+': return rest.decode()
        if t == b'-': return Exception(rest.decode())
        if t == b':': return int(rest)
        if t == b'$':
            n = int(rest)
            if n < 0: return None
            d = self.f.read(n + 2)
            return d[:-2]
        if t == b'*':
            n = int(rest)
            if n < 0: return None
            return [self.read() for _ in range(n)]
        raise ValueError(line)

probe = socket.socket()
probe.bind(('127.0.0.1', 0))
port = probe.getsockname()[1]
probe.close()
workdir = tempfile.mkdtemp()
server = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                           '--appendonly', 'no', '--dir', workdir], stdout=subprocess.DEVNULL)
atexit.register(lambda: (server.terminate(), server.wait()))
for _ in range(100):
    try:
        r = Redis(port)
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit('redis-server did not start')

L = []
def add(*lines):
    for l in lines: L.append(l)
def comment(text):
    L.append('')
    L.append('# ' + text)
def q(b):
    if isinstance(b, str): b = b.encode()
    return repr_bytes(b)

def redis_dump(setup, key, config=()):
    """Runs setup on the private redis (after FLUSHALL and config), DUMPs key."""
    r.call('FLUSHALL')
    for name, value in [('hash-max-listpack-entries', 128), ('hash-max-listpack-value', 64),
                        ('zset-max-listpack-entries', 128), ('zset-max-listpack-value', 64),
                        ('set-max-intset-entries', 512), ('list-max-listpack-size', -2),
                        ('rdbcompression', 'yes'), ('sanitize-dump-payload', 'no')]:
        r.call('CONFIG', 'SET', name, value)
    for name, value in config:
        r.call('CONFIG', 'SET', name, value)
    for cmd in setup:
        res = r.call(*cmd)
        if isinstance(res, Exception): raise res
    p = r.call('DUMP', key)
    assert p is not None, (setup, key)
    return p

rng = random.Random(7)
def noise(n):
    return bytes(rng.randrange(256) for _ in range(n))
def words(n, seed):
    g = random.Random(seed)
    return ''.join(g.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(n))

add('# DUMP and RESTORE beside redis-server 7.0: DUMP payloads byte for byte for',
    '# every encoding whose bytes do not depend on hash-table order, RESTORE of',
    '# payloads redis-server DUMPed (hash tables and skiplists included) and of',
    '# crafted ones (older RDB versions and types, bad footers, bad data), every',
    '# option and error, TTLs, access times, RESP3. Written by make_dump_cases.py;',
    '# payloads in quotes use redis-cli escapes.')

comment('Metadata and arity.')
add('COMMAND INFO dump', 'COMMAND INFO restore', 'COMMAND INFO DUMP RESTORE',
    'COMMAND GETKEYS DUMP k', 'COMMAND GETKEYS RESTORE k 0 payload REPLACE',
    'DUMP', 'DUMP a b', 'RESTORE', 'RESTORE k', 'RESTORE k 0')

comment('DUMP of strings: int encodings (8, 16, 32 bits and text), embstr, raw,')
add('# LZF for compressible strings over 20 bytes, raw bytes for the others.')
strings = ['0', '1', '-1', '12', '127', '-128', '128', '-129', '255', '256', '9999', '10000',
           '32767', '-32768', '32768', '-32769', '65535', '2147483647', '-2147483648',
           '2147483648', '-2147483649', '4294967296', '9223372036854775807',
           '-9223372036854775808', '9223372036854775808', '-9223372036854775809',
           '12345678901', '123456789012', '007', '+1', ' 1', '1 ', '-0', '0x10', '1.5', '1e3',
           '', 'a', 'hello', 'x' * 20, 'x' * 21, 'x' * 44, 'x' * 45, 'ab' * 30,
           words(21, 1), words(44, 2), words(45, 3), words(100, 4), words(1000, 5),
           'abcabcabcabcabcabcabcabc', 'hello world ' * 10, 'z' * 5000]
for i, s in enumerate(strings):
    add('SET s%d %s' % (i, q(s)), 'DUMP s%d' % i)
add('SET bin "\\x00\\x01\\x02\\xff\\xfe\\r\\n\\"\\\\"', 'DUMP bin')
add('SET binlong %s' % q(noise(300)), 'DUMP binlong')
add('SET binzero %s' % q(b'\x00' * 300), 'DUMP binzero')
add('SET n 10', 'INCR n', 'DUMP n', 'INCRBY n -1000000000000', 'DUMP n',
    'SET f 1.5', 'INCRBYFLOAT f 2', 'DUMP f', 'INCRBYFLOAT f 0.1', 'DUMP f',
    'SET ap 1', 'APPEND ap 2', 'OBJECT ENCODING ap', 'DUMP ap',
    'APPEND ap 34567890123', 'DUMP ap',
    'SETRANGE sr 3000 end', 'DUMP sr', 'SETRANGE sr 10 middle', 'DUMP sr',
    'DUMP nokey', 'SET gone v PX 1', '@sleep 20', 'DUMP gone', 'EXISTS gone')
add('CONFIG SET rdbcompression no', 'DUMP s%d' % strings.index('ab' * 30),
    'DUMP s%d' % strings.index('z' * 5000), 'DUMP s1', 'CONFIG SET rdbcompression yes',
    'DUMP s%d' % strings.index('ab' * 30))

comment('DUMP of lists (always quicklist in 7.0), built by appending: listpack')
add('# integers of every width, strings of 6-, 12- and 32-bit lengths, nodes of',
    '# every list-max-listpack-size.')
add('RPUSH l1 a', 'DUMP l1',
    'RPUSH l2 a b c 1 2 3 -1 0', 'DUMP l2',
    'RPUSH l3 127 128 -64 -65 4095 4096 -4096 -4097 32767 32768 -32768 -32769 8388607 8388608 -8388608 -8388609 2147483647 2147483648 -2147483648 -2147483649 9223372036854775807 -9223372036854775808 18446744073709551615 007 1.5 " 1" -0',
    'DUMP l3')
add('RPUSH l4 %s %s %s %s %s' % (q('x' * 63), q('y' * 64), q(words(4095, 6)), q(words(4096, 7)), q('z' * 5000)), 'DUMP l4')
add('RPUSH l5 %s' % ' '.join(q(noise(rng.randrange(1, 40))) for _ in range(30)), 'DUMP l5')
# > 8 KB: several nodes
for i in range(12):
    add('RPUSH big %s' % ' '.join(q(words(100, 100 + i * 10 + j)) for j in range(10)))
add('LLEN big', 'DUMP big')
for i in range(4):
    add('RPUSH bigz %s' % ' '.join(q('%04d' % (i * 25 + j) * 50) for j in range(25)))
add('DUMP bigz')
add('RPUSH lonely a %s b' % q('q' * 9000), 'DUMP lonely')
add('RPUSH ints %s' % ' '.join(str(i * 7919) for i in range(1500)), 'DUMP ints')
add('CONFIG SET rdbcompression no', 'DUMP big', 'DUMP l2', 'CONFIG SET rdbcompression yes')
add('# Lists made under other list-max-listpack-size values (RPUSH takes the')
add('# value when it creates the list).')
for fill in ['3', '1', '0', '-1', '-3', '-4', '-5', '100']:
    name = fill.replace('-', 'm')
    add('CONFIG SET list-max-listpack-size %s' % fill)
    add('RPUSH fill%s a b c d e f g h i j' % name, 'DUMP fill%s' % name)
    if fill in ('-1', '3'):
        for i in range(3):
            add('RPUSH bigfill%s %s' % (name, ' '.join(q(('%05d' % (i * 1000 + j)) * 60) for j in range(10))))
        add('DUMP bigfill%s' % name)
add('CONFIG SET list-max-listpack-size -2')
add('# list-compress-depth: redis-server compresses interior nodes in memory and')
add('# writes them as they are; with rdbcompression on, the bytes are the same.')
add('CONFIG SET list-compress-depth 1')
for i in range(4):
    add('RPUSH cmp %s' % ' '.join(q(('item%04d-' % (i * 100 + j)) * 25) for j in range(12)))
add('DUMP cmp', 'RPUSH cmp2 a b c', 'DUMP cmp2', 'CONFIG SET list-compress-depth 0')

comment('DUMP of small hashes (listpack), integer and string values, insertion order.')
add('HSET h1 f v', 'DUMP h1',
    'HSET h2 a 1 b 2 c -3 d 3.5 e 9223372036854775807 f "" 100 x', 'DUMP h2',
    'HSET h3 %s %s %s %s' % (q('k' * 64), q('v' * 64), q(noise(20)), q(noise(30))), 'DUMP h3',
    'HDEL h2 b', 'DUMP h2', 'HSET h2 a 100000', 'DUMP h2', 'HINCRBY h2 c 10', 'DUMP h2')
add('HSET hbig %s' % ' '.join('field%03d %s' % (i, q(words(60, 3000 + i))) for i in range(120)), 'DUMP hbig')
add('CONFIG SET rdbcompression no', 'DUMP hbig', 'CONFIG SET rdbcompression yes')

comment('DUMP of intsets: 16-, 32- and 64-bit members, upgrades, negatives.')
add('SADD i16 3 1 2 -5 32767 -32768', 'DUMP i16',
    'SADD i32 1 70000 -70000 2147483647 -2147483648', 'DUMP i32',
    'SADD i64 1 5000000000 -9223372036854775808 9223372036854775807', 'DUMP i64',
    'SADD iup 1 2 3', 'DUMP iup', 'SADD iup 100000', 'DUMP iup', 'SADD iup 10000000000', 'DUMP iup',
    'SREM iup 10000000000 100000', 'SMEMBERS iup',
    'SADD iall %s' % ' '.join(str(i * 37 - 5000) for i in range(400)), 'DUMP iall')

comment('DUMP of small sorted sets (listpack): integer and float scores, -0, inf.')
add('ZADD z1 1 a', 'DUMP z1',
    'ZADD z2 1 a 2.5 b -0 c inf d -inf e 0.1 f 1e300 g -3 h 1e-300 i 4503599627370496 j 9007199254740993 k 123456789012 l',
    'DUMP z2', 'ZRANGE z2 0 -1 WITHSCORES',
    'ZADD z3 0 a 0 b 0 c 1 1 2 2', 'DUMP z3', 'ZINCRBY z3 0.5 a', 'DUMP z3',
    'ZADD z4 3.14159265358979 pi 2.718281828459045 e 1.4142135623730951 sqrt2 %s 7' % q(noise(25)), 'DUMP z4')

comment('DUMP of sorted sets as skiplists: written greatest score first.')
add('CONFIG SET zset-max-listpack-entries 2',
    'ZADD sk 1 a 2 b 3 c -0 d inf e -inf f 2.5 g', 'OBJECT ENCODING sk', 'DUMP sk',
    'ZADD sk2 1 %s 2 %s 3 %s' % (q(words(100, 11)), q('same' * 10), q('x')), 'DUMP sk2',
    'CONFIG SET zset-max-listpack-entries 128',
    'ZADD sk3 1 a 2 %s' % q('v' * 65), 'OBJECT ENCODING sk3', 'DUMP sk3')

comment('RESTORE of what redis-server DUMPed, read back, DUMPed again.')
restores = []
def restore_case(name, setup, key, reads, config=(), dump_again=True, note=None):
    p = redis_dump(setup, key, config)
    if note: add('# ' + note)
    add('RESTORE %s 0 %s' % (name, q(p)), 'TYPE %s' % name, 'OBJECT ENCODING %s' % name)
    for rd in reads:
        add(rd.replace('{k}', name))
    if dump_again:
        add('DUMP %s' % name)
    return p

P = {}
P['str'] = restore_case('rs1', [('SET', 'k', 'hello')], 'k', ['GET {k}', 'OBJECT REFCOUNT {k}'])
restore_case('rs2', [('SET', 'k', '42')], 'k', ['GET {k}', 'OBJECT REFCOUNT {k}'])
restore_case('rs3', [('SET', 'k', '123456')], 'k', ['GET {k}', 'OBJECT REFCOUNT {k}'])
restore_case('rs4', [('SET', 'k', '-9223372036854775808')], 'k', ['GET {k}'])
restore_case('rs5', [('SET', 'k', 'ab' * 30)], 'k', ['GET {k}', 'STRLEN {k}'])
restore_case('rs6', [('SET', 'k', 'ab' * 12)], 'k', ['GET {k}'], note='LZF-compressed, 24 bytes: embstr once loaded')
restore_case('rs7', [('SET', 'k', noise(100))], 'k', ['GET {k}'])
restore_case('rs8', [('SET', 'k', '-0')], 'k', ['GET {k}'])
restore_case('rs9', [('SET', 'k', '')], 'k', ['GET {k}', 'STRLEN {k}'])
restore_case('rs10', [('SET', 'k', 'z' * 5000)], 'k', ['STRLEN {k}', 'GETRANGE {k} 4990 -1'], config=[('rdbcompression', 'no')])
restore_case('rs11', [('SET', 'k', '12345678901234567890')], 'k', ['GET {k}'])
P['list'] = restore_case('rl1', [('RPUSH', 'k', 'a', 'b', '1', '-2', 'c' * 70)], 'k', ['LRANGE {k} 0 -1', 'LLEN {k}'])
restore_case('rl2', [('RPUSH', 'k') + tuple(words(100, 5000 + i) for i in range(100))], 'k',
                         ['LLEN {k}', 'LINDEX {k} 0', 'LINDEX {k} 50', 'LINDEX {k} -1'])
restore_case('rl3', [('RPUSH', 'k') + tuple('abcdefghij')], 'k', ['LRANGE {k} 0 -1'],
             config=[('list-max-listpack-size', 3)], dump_again=False,
             note='nodes of 3 as redis-server made them (vitrine regroups by its own fill)')
restore_case('rl4', [('RPUSH', 'k') + tuple('abcdefghij')], 'k', ['LRANGE {k} 0 -1'],
             config=[('list-compress-depth', 1), ('list-max-listpack-size', 2)], dump_again=False)
restore_case('rl5', [('RPUSH', 'k') + tuple(('item%04d-' % i) * 25 for i in range(100))], 'k',
             ['LLEN {k}', 'LINDEX {k} 0', 'LINDEX {k} 75', 'LINDEX {k} -1'],
             config=[('list-compress-depth', 1)], dump_again=False,
             note='interior nodes compressed in memory by redis-server')
restore_case('rh1', [('HSET', 'k', 'a', '1', 'b', 'two', 'c', '-3')], 'k', ['HGETALL {k}'])
restore_case('rh2', [('HSET', 'k') + tuple(x for i in range(10) for x in ('f%d' % i, 'v%d' % i))], 'k',
             ['@unordered HGETALL {k}', 'HLEN {k}', 'HGET {k} f7'],
             config=[('hash-max-listpack-entries', 2)], dump_again=False,
             note='a hash table: comes back as a listpack in payload order')
restore_case('rh3', [('HSET', 'k') + tuple(x for i in range(200) for x in ('field%d' % i, 'value%d' % i))], 'k',
             ['HLEN {k}', 'HGET {k} field150', '@unordered HGETALL {k}'], dump_again=False)
restore_case('rh4', [('HSET', 'k', 'a', 'v' * 100, 'b', 'c')], 'k', ['@unordered HGETALL {k}', 'HSTRLEN {k} a'], dump_again=False)
restore_case('rset1', [('SADD', 'k', '3', '1', '2', '-100000', '5000000000')], 'k', ['SMEMBERS {k}', 'SCARD {k}'])
restore_case('rset2', [('SADD', 'k', 'a', 'b', 'c', 'd')], 'k', ['@unordered SMEMBERS {k}', 'SISMEMBER {k} c'], dump_again=False)
restore_case('rset3', [('SADD', 'k') + tuple(str(i) for i in range(20))], 'k', ['SMEMBERS {k}', 'SCARD {k}'],
             config=[('set-max-intset-entries', 4)],
             note='integers in a hash table: an intset again once loaded')
restore_case('rset4', [('SADD', 'k') + tuple(str(i) for i in range(600))], 'k', ['SCARD {k}', 'SISMEMBER {k} 599'], dump_again=False)
restore_case('rz1', [('ZADD', 'k', '1', 'a', '2.5', 'b', '-0', 'c', 'inf', 'd')], 'k', ['ZRANGE {k} 0 -1 WITHSCORES'])
restore_case('rz2', [('ZADD', 'k') + tuple(x for i in range(10) for x in (str(i * 1.5), 'm%d' % i))], 'k',
             ['ZRANGE {k} 0 -1 WITHSCORES', 'ZSCORE {k} m3'], config=[('zset-max-listpack-entries', 2)],
             note='a skiplist: a listpack again once loaded')
restore_case('rz3', [('ZADD', 'k') + tuple(x for i in range(200) for x in (str(i), 'm%d' % i))], 'k',
             ['ZCARD {k}', 'ZRANGE {k} 0 4 WITHSCORES', 'ZSCORE {k} m150'])
restore_case('rz4', [('ZADD', 'k', '1', 'a', '2', 'b' * 100)], 'k', ['ZRANGE {k} 0 -1 WITHSCORES'])

comment('RESTORE under small thresholds converts as redis-server does.')
add('CONFIG SET hash-max-listpack-entries 1', 'CONFIG SET zset-max-listpack-entries 1',
    'CONFIG SET set-max-intset-entries 1', 'CONFIG SET hash-max-listpack-value 2', 'CONFIG SET zset-max-listpack-value 2')
ph = redis_dump([('HSET', 'k', 'a', '1', 'b', '2')], 'k')
pz = redis_dump([('ZADD', 'k', '1', 'a', '2', 'b')], 'k')
ps = redis_dump([('SADD', 'k', '1', '2')], 'k')
ph1 = redis_dump([('HSET', 'k', 'abc', '1')], 'k')
pz1 = redis_dump([('ZADD', 'k', '1', 'abc')], 'k')
add('RESTORE th 0 %s' % q(ph), 'OBJECT ENCODING th', '@unordered HGETALL th',
    'RESTORE tz 0 %s' % q(pz), 'OBJECT ENCODING tz', 'ZRANGE tz 0 -1 WITHSCORES', 'DUMP tz',
    'RESTORE ts 0 %s' % q(ps), 'OBJECT ENCODING ts', '@unordered SMEMBERS ts',
    'RESTORE th1 0 %s' % q(ph1), 'OBJECT ENCODING th1', 'HGETALL th1',
    'RESTORE tz1 0 %s' % q(pz1), 'OBJECT ENCODING tz1', 'ZRANGE tz1 0 -1 WITHSCORES', 'DUMP tz1')
add('CONFIG SET hash-max-listpack-entries 128', 'CONFIG SET zset-max-listpack-entries 128',
    'CONFIG SET set-max-intset-entries 512', 'CONFIG SET hash-max-listpack-value 64', 'CONFIG SET zset-max-listpack-value 64')

comment('Older RDB versions and types (Redis 2.6 to 6.2 payloads, crafted with a correct CRC).')
legacy = [
    ('str9', b'\x00' + rstr(b'hello'), 9, ['GET {k}']),
    ('str1', b'\x00' + rstr(b'old'), 1, ['GET {k}']),
    ('int9', b'\x00\xc0\x7b', 9, ['GET {k}', 'OBJECT ENCODING {k}']),
    ('int16', b'\x00\xc1\x39\x30', 6, ['GET {k}']),
    ('int32', b'\x00\xc2\x15\xcd\x5b\x07', 6, ['GET {k}']),
    ('list1', b'\x01' + rlen(3) + rstr(b'a') + rstr(b'b') + b'\xc0\x05', 6, ['LRANGE {k} 0 -1', 'OBJECT ENCODING {k}']),
    ('set2', b'\x02' + rlen(3) + rstr(b'x') + rstr(b'y') + rstr(b'z'), 6, ['@unordered SMEMBERS {k}', 'OBJECT ENCODING {k}']),
    ('set2i', b'\x02' + rlen(3) + rstr(b'3') + rstr(b'1') + rstr(b'2'), 6, ['SMEMBERS {k}', 'OBJECT ENCODING {k}']),
    ('zset3', b'\x03' + rlen(3) + rstr(b'a') + b'\x031.5' + rstr(b'b') + b'\xfe' + rstr(b'c') + b'\xff', 6,
     ['ZRANGE {k} 0 -1 WITHSCORES', 'OBJECT ENCODING {k}']),
    ('zset5', b'\x05' + rlen(2) + rstr(b'a') + struct.pack('<d', 2.5) + rstr(b'b') + struct.pack('<d', -1.0), 9,
     ['ZRANGE {k} 0 -1 WITHSCORES', 'OBJECT ENCODING {k}']),
    ('hash4', b'\x04' + rlen(2) + rstr(b'f') + rstr(b'v') + rstr(b'g') + b'\xc0\x07', 6,
     ['HGETALL {k}', 'OBJECT ENCODING {k}']),
    ('zipmap', b'\x09' + rstr(zipmap([(b'f', b'v'), (b'g', b'ww'), (b'n', b'12')])), 6, ['HGETALL {k}', 'OBJECT ENCODING {k}']),
    ('zlist', b'\x0a' + rstr(ziplist([b'a', 1, -2, 300, 70000, 5000000000, b'x' * 70, 12, 13])), 6,
     ['LRANGE {k} 0 -1', 'OBJECT ENCODING {k}', 'DUMP {k}']),
    ('intset', b'\x0b' + rstr(struct.pack('<II', 2, 3) + struct.pack('<hhh', -1, 2, 3)), 6, ['SMEMBERS {k}', 'OBJECT ENCODING {k}', 'DUMP {k}']),
    ('zzset', b'\x0c' + rstr(ziplist([b'a', 1, b'b', b'2.5', b'c', b'inf'])), 9, ['ZRANGE {k} 0 -1 WITHSCORES', 'OBJECT ENCODING {k}', 'DUMP {k}']),
    ('zhash', b'\x0d' + rstr(ziplist([b'a', 1, b'b', b'two'])), 9, ['HGETALL {k}', 'OBJECT ENCODING {k}', 'DUMP {k}']),
    ('qlist', b'\x0e' + rlen(2) + rstr(ziplist([b'a', b'b', 3])) + rstr(ziplist([b'c', 4])), 9,
     ['LRANGE {k} 0 -1', 'OBJECT ENCODING {k}', 'LINDEX {k} 3']),
]
for name, body, version, reads in legacy:
    p = payload(body, version)
    res = r.call('RESTORE', name, 0, p)
    assert res == 'OK', (name, res)
    add('RESTORE %s 0 %s' % (name, q(p)), 'TYPE %s' % name)
    for rd in reads:
        add(rd.replace('{k}', name))

comment('Errors, in redis-server\'s order: options, existing key, TTL, footer, data.')
hello = P['str']
add('SET busy v',
    'RESTORE busy 0 %s' % q(hello),
    'RESTORE busy -1 %s' % q(hello),
    'RESTORE busy abc %s' % q(hello),
    'RESTORE busy 0 garbage',
    'RESTORE busy 0 %s BOGUS' % q(hello),
    'RESTORE busy 0 %s IDLETIME -1' % q(hello),
    'RESTORE busy 0 %s FREQ 256' % q(hello),
    'RESTORE busy 0 %s REPLACE BOGUS' % q(hello),
    'GET busy',
    'RESTORE new -1 %s' % q(hello),
    'RESTORE new -9223372036854775808 %s' % q(hello),
    'RESTORE new abc %s' % q(hello),
    'RESTORE new 1.5 %s' % q(hello),
    'RESTORE new "" %s' % q(hello),
    'RESTORE new 9223372036854775808 %s' % q(hello),
    'RESTORE new -1 garbage',
    'RESTORE new 0 garbage',
    'RESTORE new 0 ""',
    'RESTORE new 0 %s' % q(hello[:-1]),
    'RESTORE new 0 %s' % q(hello[:-8] + bytes([hello[-8] ^ 1]) + hello[-7:]),
    'RESTORE new 0 %s' % q(hello[:2] + b'j' + hello[3:]),
    'RESTORE new 0 %s' % q(payload(b'\x00' + rstr(b'hello'), 11)),
    'RESTORE new 0 %s' % q(payload(b'\x00' + rstr(b'hello'), 65535)),
    'RESTORE new 0 %s' % q(payload(b'\x00' + rstr(b'hello'), 10, 0)),
    'RESTORE new 0 %s' % q(payload(b'\x00' + rstr(b'hello'), 0)),
    'GET new',
    'RESTORE new 0 %s' % q(payload(b'\x00' + rstr(b'hello') + b'trailing bytes', 10)),
    'GET new', 'DEL new',
    'RESTORE new 0 %s FREQ x' % q(hello),
    'RESTORE new 0 %s IDLETIME x' % q(hello),
    'RESTORE new 0 %s IDLETIME' % q(hello),
    'RESTORE new 0 %s FREQ' % q(hello),
    'RESTORE new 0 %s IDLETIME 1 FREQ 1' % q(hello),
    'RESTORE new 0 %s FREQ 1 IDLETIME 1' % q(hello),
    'RESTORE new 0 %s FREQ -1' % q(hello),
    'RESTORE new 0 %s FREQ 1000000000000000000000' % q(hello),
    'RESTORE new 0 %s IDLETIME -9223372036854775808' % q(hello),
    'RESTORE new 0 %s IDLETIME 99999999999999999999' % q(hello),
    'RESTORE new 0 %s REPLACE REPLACE ABSTTL ABSTTL FREQ 1 FREQ 2' % q(hello),
    'GET new', 'DEL new',
    'RESTORE new 0 %s IDLETIME 1 IDLETIME 2 REPLACE' % q(hello),
    'GET new', 'DEL new',
    'RESTORE new -1 %s FREQ 300' % q(hello),
    'RESTORE new x garbage BOGUS',
    'EXISTS new')
bad = [
    b'', b'\x00', b'\x00\x45', b'\x00\xc3\x05\x10\x00abc',
    b'\x01\x02' + rstr(b'a'), b'\x02\x00', b'\x04\x00', b'\x05\x00', b'\x12\x00', b'\x0e\x00',
    b'\x06', b'\x07', b'\x08', b'\x0f', b'\x13', b'\x14', b'\xc8', b'\xff',
    b'\x02' + rlen(2) + rstr(b'a') + rstr(b'a'),
    b'\x05' + rlen(1) + rstr(b'a') + struct.pack('<d', float('nan')),
    b'\x05' + rlen(2) + rstr(b'a') + struct.pack('<d', 1) + rstr(b'a') + struct.pack('<d', 2),
    b'\x0b' + rstr(struct.pack('<II', 3, 1) + b'\x01\x00'),
    b'\x0b' + rstr(struct.pack('<II', 2, 0)),
    b'\x0b' + rstr(struct.pack('<II', 2, 2) + b'\x01\x00'),
    b'\x10' + rstr(b'\x07\x00\x00\x00\x00\x00\xff'),
    b'\x10' + rstr(b'garbage!'),
    b'\x11' + rstr(b'\x07\x00\x00\x00\x00\x00\xff'),
    b'\x12' + rlen(1) + rlen(2) + rstr(b'\x07\x00\x00\x00\x00\x00\xff'),
    b'\x12' + rlen(1) + rlen(3) + rstr(b'abc'),
    b'\x12' + rlen(1) + rlen(1),
    b'\x0d' + rstr(ziplist([])),
    b'\x0a' + rstr(ziplist([])),
    b'\x0e' + rlen(0),
    b'\x09' + rstr(b'\x00\xff'),
    b'\x00\x80\xff\xff\xff\xff',
    b'\x00\x81\x7f\xff\xff\xff\xff\xff\xff\xff',
    b'\x01\x81\x7f\xff\xff\xff\xff\xff\xff\xff',
    b'\x00\xc3\x81\xff\xff\xff\xff\xff\xff\xff\xff\x05abc',
    b'\x00\xc4',
]
for body in bad:
    for version in (10,):
        p = payload(body, version)
        res = r.call('RESTORE', 'bad', 0, p)
        if not isinstance(res, Exception):
            sys.stderr.write('accepted: %r\n' % body)
            r.call('DEL', 'bad')
        add('RESTORE bad 0 %s' % q(p))
add('EXISTS bad')
add('# Payloads whose inner structure is wrong: vitrine always checks them as')
add('# redis-server does under sanitize-dump-payload yes (with "no", redis-server')
add('# skips these deep checks and keeps such a value).')
add('CONFIG SET sanitize-dump-payload yes')
deep = [
    b'\x04' + rlen(2) + rstr(b'a') + rstr(b'1') + rstr(b'a') + rstr(b'2'),
    b'\x0b' + rstr(struct.pack('<II', 2, 3) + struct.pack('<hhh', 3, 1, 2)),
    b'\x0b' + rstr(struct.pack('<II', 2, 3) + struct.pack('<hhh', 1, 1, 2)),
    b'\x0d' + rstr(ziplist([b'a', 1, b'a', 2])),
    b'\x0d' + rstr(ziplist([b'a', 1, b'b'])),
    b'\x0c' + rstr(ziplist([b'a', 1, b'a', 2])),
    b'\x0a' + rstr(ziplist([b'a', b'b'])[:-1] + b'\x00'),
]
r.call('CONFIG', 'SET', 'sanitize-dump-payload', 'yes')
for body in deep:
    p = payload(body)
    res = r.call('RESTORE', 'deep', 0, p)
    if not isinstance(res, Exception):
        sys.stderr.write('accepted deep: %r\n' % body)
        r.call('DEL', 'deep')
    add('RESTORE deep 0 %s' % q(p))
r.call('CONFIG', 'SET', 'sanitize-dump-payload', 'no')
add('EXISTS deep', 'CONFIG SET sanitize-dump-payload no')
add('# A value that runs past the body reads into the footer, as in redis-server.')
for n in (5, 10, 14):
    add('RESTORE footer%d 0 %s' % (n, q(payload(b'\x00' + bytes([n]) + b'hell'))), 'GET footer%d' % n)
add('RESTORE footer15 0 %s' % q(payload(b'\x00\x0fhell')), 'EXISTS footer15')

comment('REPLACE: over any type, over nothing; the old TTL goes.')
plist = P['list']
add('SET rep old EX 1000', 'RESTORE rep 0 %s REPLACE' % q(hello), 'GET rep', 'TTL rep',
    'RPUSH repl x', 'RESTORE repl 0 %s replace' % q(hello), 'TYPE repl', 'GET repl',
    'RESTORE repnew 0 %s REPLACE' % q(plist), 'LLEN repnew',
    'RESTORE repnew 0 %s REPLACE' % q(hello), 'TYPE repnew',
    'SET repgone v PX 1', '@sleep 20', 'RESTORE repgone 0 %s' % q(hello), 'GET repgone',
    'SET repgone2 v PX 1', '@sleep 20', 'RESTORE repgone2 0 %s REPLACE' % q(hello), 'GET repgone2')

comment('TTLs: relative, ABSTTL, already past, wrapping past 2^63.')
add('RESTORE t1 100000000 %s' % q(hello), 'TTL t1', 'GET t1',
    'RESTORE t2 5000000 %s ABSTTL' % q(hello), 'EXISTS t2',
    'RESTORE t3 4102444800000 %s ABSTTL' % q(hello), 'PEXPIRETIME t3', 'EXPIRETIME t3',
    'RESTORE t4 4102444800123 %s absttl REPLACE' % q(hello), 'PEXPIRETIME t4',
    'RESTORE t4 0 %s REPLACE' % q(hello), 'TTL t4',
    'RESTORE t5 1 %s ABSTTL' % q(hello), 'EXISTS t5',
    'SET t6 v', 'RESTORE t6 1 %s ABSTTL REPLACE' % q(hello), 'EXISTS t6',
    'RESTORE t7 9223372036854775807 %s' % q(hello), 'EXISTS t7',
    'RESTORE t8 9223372036854775807 %s ABSTTL' % q(hello), 'PEXPIRETIME t8',
    'RESTORE t9 9000000000000000000 %s' % q(hello), 'EXISTS t9', 'TTL t9',
    'RESTORE t10 1 %s' % q(hello), '@sleep 20', 'EXISTS t10',
    'RESTORE t11 100000000 %s' % q(plist), 'TTL t11', 'LLEN t11')

comment('IDLETIME (LRU): read back in the same transaction, as the LRU clock')
add('# only moves between commands.')
for idle in ['0', '1', '100', '1000', '1000000', '16777214', '16777215', '16777216', '20000000',
             '100000000', '9223372036854775807', '4611686018427387904', '9223372036854775']:
    add('MULTI', 'RESTORE idle%s 0 %s IDLETIME %s' % (idle, q(hello), idle), 'OBJECT IDLETIME idle%s' % idle, 'EXEC')
add('MULTI', 'RESTORE idlelist 0 %s IDLETIME 5000' % q(plist), 'OBJECT IDLETIME idlelist', 'EXEC',
    'MULTI', 'RESTORE idlefreq 0 %s FREQ 100' % q(hello), 'OBJECT IDLETIME idlefreq', 'EXEC',
    'SET idlebusy v', 'MULTI', 'RESTORE idlebusy 0 %s IDLETIME 100 REPLACE' % q(hello), 'OBJECT IDLETIME idlebusy', 'EXEC',
    'OBJECT FREQ idlebusy')

comment('FREQ (LFU): a counter set by FREQ, the initial one otherwise.')
add('CONFIG SET maxmemory-policy allkeys-lfu')
for freq in ['0', '1', '5', '100', '255']:
    add('MULTI', 'RESTORE freq%s 0 %s FREQ %s' % (freq, q(hello), freq), 'OBJECT FREQ freq%s' % freq, 'EXEC')
add('MULTI', 'RESTORE freqnone 0 %s' % q(hello), 'OBJECT FREQ freqnone', 'EXEC',
    'MULTI', 'RESTORE freqidle 0 %s IDLETIME 100' % q(hello), 'OBJECT FREQ freqidle', 'EXEC',
    'OBJECT IDLETIME freqidle',
    'MULTI', 'RESTORE freqlist 0 %s FREQ 42 ABSTTL REPLACE' % q(plist), 'OBJECT FREQ freqlist', 'EXEC',
    'RESTORE freqbad 0 %s FREQ 256' % q(hello),
    'CONFIG SET maxmemory-policy allkeys-lru',
    'MULTI', 'RESTORE lru1 0 %s IDLETIME 300' % q(hello), 'OBJECT IDLETIME lru1', 'EXEC',
    'CONFIG SET maxmemory-policy noeviction')

comment('Databases, binary key names, transactions, WATCH, blocked clients.')
add('SELECT 3', 'RESTORE db3 0 %s' % q(hello), 'GET db3', 'SELECT 0', 'EXISTS db3',
    'RESTORE "bin\\x00key\\xff" 0 %s' % q(hello), 'GET "bin\\x00key\\xff"', 'DUMP "bin\\x00key\\xff"',
    'MULTI', 'RESTORE mx 0 %s' % q(hello), 'RESTORE mx 0 %s' % q(hello), 'DUMP mx', 'RESTORE mx 0 %s REPLACE' % q(plist), 'LLEN mx', 'EXEC',
    'MULTI', 'RESTORE mx2 0', 'EXEC',
    'WATCH w1', '@conn 2', 'RESTORE w1 0 %s' % q(hello), '@conn 1', 'MULTI', 'GET w1', 'EXEC',
    'WATCH w1', '@conn 2', 'RESTORE w1 0 %s' % q(hello), '@conn 1', 'MULTI', 'GET w1', 'EXEC',
    'WATCH w2', '@conn 2', 'RESTORE w2 -1 %s' % q(hello), '@conn 1', 'MULTI', 'GET w1', 'EXEC',
    '@conn 2', '@send BLPOP blk 0', '@conn 1', 'RESTORE blk 0 %s' % q(plist), '@conn 2', '@read', '@conn 1', 'LLEN blk')
pz = redis_dump([('ZADD', 'k', '1', 'a', '2', 'b')], 'k')
add('@conn 2', '@send BZPOPMIN bzk 0', '@conn 1', 'RESTORE bzk 0 %s' % q(pz), '@conn 2', '@read', '@conn 1', 'ZRANGE bzk 0 -1 WITHSCORES')

comment('RESP3.')
add('@ignore HELLO 3', 'DUMP nokey', 'DUMP s1', 'DUMP l2', 'RESTORE r3 0 %s' % q(hello), 'RESTORE r3 0 %s' % q(hello),
    'RESTORE r3b 0 garbage', 'RESTORE r3c -1 %s' % q(hello), 'GET r3', '@ignore HELLO 2')

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dump.txt'), 'w') as out:
    out.write('\n'.join(L) + '\n')
