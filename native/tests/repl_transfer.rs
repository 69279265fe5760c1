//! Full resyncs sent at each replica's pace, and one copy of the stream
//! for every replica (DESIGN principles 5 and 7), with real sockets:
//! replicas that stop reading in the middle of a large snapshot cost the
//! master a bounded buffer, not a copy of the dump each, and are cut off
//! after `repl-timeout` (disk-backed and diskless), after which a real
//! `redis-server` replica still syncs; ten replicas that stop reading the
//! stream hold one shared copy of it, and once they read again each gets
//! every byte.

mod common;

use common::repl::{assert_converged, info_field, used_memory, wait_for, wait_in_sync, KEEP_STALLED_REPLICAS};
use common::{redis_available, Conn, Kind, Server};
use socket2::{Domain, Socket, Type};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A raw replica socket with a small receive buffer, so the kernel holds
/// little of what the master sends it.
fn small_socket(port: u16) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    socket.connect(&addr.into()).expect("connect");
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    stream
}

/// Reads a line, skipping the newlines a master sends to keep a waiting
/// replica's link alive.
fn read_line(stream: &mut TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        assert_eq!(stream.read(&mut byte).expect("read"), 1, "closed");
        if !(line.is_empty() && byte[0] == b'\n') {
            line.push(byte[0]);
        }
    }
    line
}

/// Performs the handshake of a replica on `port`, up to `PSYNC`; its
/// `+FULLRESYNC` comes when the snapshot starts ([`read_line`]).
fn raw_replica(port: u16, listening_port: u16, capa_eof: bool) -> TcpStream {
    let mut stream = small_socket(port);
    let send = |stream: &mut TcpStream, args: &[&str], expect: &str| {
        stream
            .write_all(&common::encode(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>()))
            .expect("write");
        let line = read_line(stream);
        assert!(
            line.starts_with(expect.as_bytes()),
            "{}",
            String::from_utf8_lossy(&line)
        );
    };
    let listening = listening_port.to_string();
    send(&mut stream, &["REPLCONF", "listening-port", &listening], "+OK");
    if capa_eof {
        send(&mut stream, &["REPLCONF", "capa", "eof", "capa", "psync2"], "+OK");
    }
    let psync = common::encode(&[b"PSYNC", b"?", b"-1"]);
    stream.write_all(&psync).expect("write");
    stream
}

/// Reads `+FULLRESYNC <replid> <offset>` and returns the offset.
fn expect_fullresync(stream: &mut TcpStream) -> i64 {
    let line = String::from_utf8(read_line(stream)).expect("utf8");
    let offset = line
        .strip_prefix("+FULLRESYNC ")
        .and_then(|rest| rest.split_whitespace().nth(1));
    offset.and_then(|o| o.parse().ok()).unwrap_or_else(|| panic!("{line}"))
}

/// Reads a disk-backed snapshot (`$<len>\r\n` after keep-alive newlines,
/// then the bytes) and returns its length.
fn read_snapshot(stream: &mut TcpStream) -> usize {
    let mut byte = [0u8; 1];
    loop {
        assert_eq!(stream.read(&mut byte).expect("read"), 1, "closed");
        if byte[0] == b'$' {
            break;
        }
        assert_eq!(byte[0], b'\n', "unexpected byte before the snapshot");
    }
    let line = read_line(stream);
    let len: usize = std::str::from_utf8(&line[..line.len() - 2])
        .expect("utf8")
        .parse()
        .expect("length");
    let mut left = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while left > 0 {
        let n = stream.read(&mut chunk[..left.min(64 * 1024)]).expect("read");
        assert!(n > 0, "closed during the snapshot");
        left -= n;
    }
    len
}

/// Writes `count` values of 100 KB through a pipeline, to `keys`
/// different keys.
fn write_big_values(conn: &mut Conn, prefix: &str, count: usize, keys: usize) {
    let value = vec![b'x'; 100 * 1024];
    for i in 0..count {
        conn.send(&[b"SET", format!("{prefix}:{}", i % keys).as_bytes(), &value]);
    }
    for _ in 0..count {
        assert_eq!(conn.read_reply(), b"+OK\r\n");
    }
}

fn stalled_mid_snapshot(diskless: bool) {
    if !redis_available() {
        return;
    }
    let master = Server::start(
        Kind::Vitrine,
        &[
            "--repl-timeout",
            "3",
            "--rdbcompression",
            "no",
            "--repl-diskless-sync",
            if diskless { "yes" } else { "no" },
            "--repl-diskless-sync-delay",
            "5",
            "--repl-diskless-sync-max-replicas",
            "3",
        ],
    );
    let mut m = master.connect();
    // About 60 MB of snapshot.
    write_big_values(&mut m, "big", 600, 600);
    let before = used_memory(&mut m);
    let mut stalled: Vec<TcpStream> = (0..3).map(|i| raw_replica(master.port, 5000 + i, diskless)).collect();
    for replica in &mut stalled {
        expect_fullresync(replica);
    }
    // The transfer starts, fills the sockets and stops at their pace.
    std::thread::sleep(Duration::from_secs(1));
    let during = used_memory(&mut m);
    assert!(
        during - before < 16 << 20,
        "three stalled transfers of a 60 MB snapshot grew used_memory by {} bytes",
        during - before
    );
    wait_for("the stalled replicas timed out", Duration::from_secs(15), || {
        master
            .log()
            .matches("Disconnecting timedout replica (full sync)")
            .count()
            >= 3
    });
    drop(stalled);
    if diskless {
        wait_for("the child ended", Duration::from_secs(5), || {
            master
                .log()
                .contains("Diskless rdb transfer, last replica dropped, killing fork child.")
        });
    }
    // A real replica still syncs, and sees what was written meanwhile.
    m.cmd(&["SET", "after", "stall"]);
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &master.port.to_string()]);
    wait_in_sync(&master, &replica, Duration::from_secs(30));
    assert_converged(&master, &replica);
}

#[test]
fn replicas_stalled_mid_snapshot_cost_a_bounded_buffer_and_time_out_disk() {
    stalled_mid_snapshot(false);
}

#[test]
fn replicas_stalled_mid_snapshot_cost_a_bounded_buffer_and_time_out_diskless() {
    stalled_mid_snapshot(true);
}

#[test]
fn ten_stalled_replicas_share_one_copy_of_the_stream() {
    let master = Server::start(
        Kind::Vitrine,
        &[&["--repl-diskless-sync", "no"][..], &KEEP_STALLED_REPLICAS].concat(),
    );
    let mut m = master.connect();
    m.cmd(&["SET", "seed", "1"]);
    let mut replicas: Vec<TcpStream> = (0..10).map(|i| raw_replica(master.port, 6000 + i, false)).collect();
    let mut snapshot_offsets = Vec::new();
    for replica in &mut replicas {
        snapshot_offsets.push(expect_fullresync(replica));
        read_snapshot(replica);
    }
    wait_for("ten replicas online", Duration::from_secs(10), || {
        info_field(&mut m, "replication", "slave9").contains("state=online")
    });
    let before = used_memory(&mut m);
    // About 30 MB of stream none of them reads (over four keys: the
    // dataset hardly grows).
    write_big_values(&mut m, "stream", 300, 4);
    m.cmd(&["SET", "last", "write"]);
    let grown = used_memory(&mut m) - before;
    // One copy (30 MB), not ten (300 MB).
    assert!(
        grown < 60 << 20,
        "ten stalled replicas grew used_memory by {grown} bytes"
    );
    assert!(
        grown > 20 << 20,
        "the stream was not held for the replicas: {grown} bytes"
    );
    let histlen: i64 = info_field(&mut m, "replication", "repl_backlog_histlen")
        .parse()
        .expect("histlen");
    assert!(histlen > 25 << 20, "histlen {histlen}");

    // They read again: each gets every byte, ending with the last write.
    let offset_after: i64 = info_field(&mut m, "replication", "master_repl_offset")
        .parse()
        .expect("offset");
    let tail = common::encode(&[b"SET", b"last", b"write"]);
    for (replica, snapshot_offset) in replicas.iter_mut().zip(snapshot_offsets) {
        let expected = (offset_after - snapshot_offset) as usize;
        let mut got = Vec::with_capacity(expected);
        let mut chunk = vec![0u8; 256 * 1024];
        while got.len() < expected {
            let n = replica.read(&mut chunk).expect("read");
            assert!(n > 0, "closed");
            got.extend_from_slice(&chunk[..n]);
        }
        // (A PING from the cron may follow the last write.)
        let end = &got[expected - 1024..expected];
        assert!(
            end.windows(tail.len()).any(|w| w == tail),
            "the stream does not end with the last write"
        );
    }
    // Nobody needs the old blocks any more: the next block trims them.
    write_big_values(&mut m, "more", 1, 1);
    let histlen: i64 = info_field(&mut m, "replication", "repl_backlog_histlen")
        .parse()
        .expect("histlen");
    assert!(histlen < 2 << 20, "histlen {histlen} after every replica caught up");
}
