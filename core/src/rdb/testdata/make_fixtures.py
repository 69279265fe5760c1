"""Regenerates the DUMP fixtures of core/src/rdb from a real redis-server 7.0.

Run from this directory: python3 make_fixtures.py
It starts its own redis-server on a free loopback port and stops it after.
lzf_mixed.lzf is not made here: it is liblzf's output for the input that
lzf.rs's mixed_input() builds (run the test mixed_input_as_liblzf with
VITRINE_WRITE_LZF_INPUT=1 to get that input in /tmp/lzf_mixed.input, then
compress it with lzf_compress(in, len, out, len - 4)).
"""
import os, socket, subprocess, sys, tempfile, time

probe = socket.socket()
probe.bind(('127.0.0.1', 0))
port = probe.getsockname()[1]
probe.close()
workdir = tempfile.mkdtemp()
server = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                           '--appendonly', 'no', '--dir', workdir], stdout=subprocess.DEVNULL)
for _ in range(100):
    try:
        s = socket.create_connection(('127.0.0.1', port))
        break
    except OSError:
        time.sleep(0.05)
f = s.makefile('rb')
def cmd(*args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        if isinstance(a, str): a = a.encode()
        elif isinstance(a, int): a = str(a).encode()
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    s.sendall(out)
    return read()
def read():
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t == b'+': return rest
    if t == b'-': raise Exception(rest)
    if t == b':': return int(rest)
    if t == b'$':
        n = int(rest)
        if n < 0: return None
        d = f.read(n + 2)
        return d[:-2]
    if t == b'*':
        return [read() for _ in range(int(rest))]
def pattern(n, seed):
    return bytes((i * 31 + seed * 7 + (i >> 5)) % 251 for i in range(n))
cmd('FLUSHALL')
cmd('CONFIG', 'SET', 'hash-max-listpack-value', '100000')
cmd('CONFIG', 'SET', 'hash-max-listpack-entries', '512')
cmd('CONFIG', 'SET', 'rdbcompression', 'no')
values = [b'0', b'1', b'127', b'a', b'bb', b'', b'128', b'300', b'-1', b'-5', b'4095', b'-4096',
  b'4096', b'-4097', b'32767', b'-32768', b'32768', b'-32769', b'8388607', b'-8388608', b'8388608',
  b'-8388609', b'2147483647', b'-2147483648', b'2147483648', b'-2147483649', b'123456789012',
  b'9223372036854775807', b'-9223372036854775808', b'9223372036854775808', b'-9223372036854775809',
  b'007', b'-0', b'+1', b' 1', b'1 ', b'1.5', b'-', b'99999999999999999999', b'\x00\xff\x01',
  b'x' * 63, b'y' * 64, b'z' * 70, b'w' * 126, b'v' * 125, pattern(4095, 1), pattern(4096, 2),
  pattern(16377, 4), pattern(16378, 5)]
args = []
for i, v in enumerate(values):
    args += [b'f%d' % i, v]
cmd('HSET', 'h', *args)
print(cmd('OBJECT', 'ENCODING', 'h'), file=sys.stderr)
open('hash_listpack.dump', 'wb').write(cmd('DUMP', 'h'))
cmd('SADD', 's16', 1, 2, 3, -5, 32767, -32768)
cmd('SADD', 's32', 1, -5, 100000, -2147483648)
cmd('SADD', 's64', 1, -5, 100000, 1 << 40, -(1 << 63), (1 << 63) - 1)
for k in ['s16', 's32', 's64']:
    print(k, cmd('OBJECT', 'ENCODING', k), file=sys.stderr)
    open('%s.dump' % k, 'wb').write(cmd('DUMP', k))
cmd('CONFIG', 'SET', 'rdbcompression', 'yes')
text = (b'The quick brown fox jumps over the lazy dog. ' * 3 + b'vitrine redis listpack ziplist intset zipmap 0123456789 ') * 20
cmd('SET', 'text', text)
open('text.dump', 'wb').write(cmd('DUMP', 'text'))
cmd('SET', 'short', b'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
open('short.dump', 'wb').write(cmd('DUMP', 'short'))

server.terminate()
server.wait()
