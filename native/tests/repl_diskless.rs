//! Diskless full resync on a vitrine master (`repl-diskless-sync yes`): a
//! child streams the snapshot through a pipe, the master sends it as
//! `$EOF:<mark>` + RDB + mark to the replicas waiting, and the stream that
//! accumulated meanwhile follows at the replica's first `REPLCONF ACK`. A
//! real redis-server replica syncs and follows writes; a replica without
//! `capa eof` still gets the disk-backed `$<len>` transfer.

mod common;

use common::dataset::{assert_same, Dataset};
use common::repl::{info_field, live_writes, populate, wait_for, wait_in_sync};
use common::{encode, redis_available, Kind, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn redis_replica_syncs_diskless_from_a_vitrine_master() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    // A slow child (1 ms per key) so writes land in the held stream.
    let master = Server::start(
        Kind::Vitrine,
        &[
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
            "--rdb-key-save-delay",
            "1000",
        ],
    );
    let mut conn = master.connect();
    populate(&mut conn);
    let port = master.port.to_string();
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    live_writes(&mut conn, 1);
    wait_in_sync(&master, &replica, Duration::from_secs(20));
    assert_same(
        &Dataset::read_port(master.port),
        "vitrine master",
        &Dataset::read_port(replica.port),
        "redis replica",
    );
    let log = master.log();
    for line in [
        "Starting BGSAVE for SYNC with target: replicas sockets",
        "Background RDB transfer started by pid",
        "Background RDB transfer terminated with success",
        "succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
        "Synchronization with replica 127.0.0.1:",
    ] {
        assert!(log.contains(line), "master log lacks {line:?}:\n{log}");
    }
    assert!(!log.contains("target: disk"), "{log}");
    assert!(
        replica
            .log()
            .contains("receiving streamed RDB from master with EOF to disk")
            || replica
                .log()
                .contains("receiving streamed RDB from master with EOF to parser"),
        "{}",
        replica.log()
    );
    live_writes(&mut conn, 2);
    assert_eq!(conn.cmd(&["WAIT", "1", "5000"]), b":1\r\n");
    wait_in_sync(&master, &replica, Duration::from_secs(20));
    assert_same(
        &Dataset::read_port(master.port),
        "vitrine master",
        &Dataset::read_port(replica.port),
        "redis replica",
    );
    let slave0 = info_field(&mut conn, "replication", "slave0");
    assert!(slave0.contains("state=online"), "{slave0}");
}

/// Reads from `stream` until `buffer` holds `want` bytes or 10 s pass.
fn read_until(stream: &mut TcpStream, buffer: &mut Vec<u8>, done: impl Fn(&[u8]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut chunk = [0u8; 65536];
    while !done(buffer) {
        assert!(Instant::now() < deadline, "got {:?}", String::from_utf8_lossy(buffer));
        match stream.read(&mut chunk) {
            Ok(0) => panic!("closed; got {:?}", String::from_utf8_lossy(buffer)),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(_) => {}
        }
    }
}

fn handshake(port: u16, capa: &[&str]) -> (TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut replconf: Vec<&[u8]> = vec![b"REPLCONF"];
    for c in capa {
        replconf.push(b"capa");
        replconf.push(c.as_bytes());
    }
    stream.write_all(&encode(&replconf)).unwrap();
    let mut buffer = Vec::new();
    read_until(&mut stream, &mut buffer, |b| b.ends_with(b"+OK\r\n"));
    buffer.clear();
    stream.write_all(&encode(&[b"PSYNC", b"?", b"-1"])).unwrap();
    read_until(&mut stream, &mut buffer, |b| {
        b.starts_with(b"+FULLRESYNC") && b.windows(2).filter(|w| w == b"\r\n").count() >= 2
    });
    (stream, buffer)
}

/// The line after `+FULLRESYNC`, past keep-alive newlines.
fn second_line(text: &str) -> String {
    let rest = &text[text.find("\r\n").unwrap() + 2..];
    let rest = rest.trim_start_matches('\n');
    rest[..rest.find("\r\n").unwrap()].to_string()
}

#[test]
fn eof_framing_for_capa_eof_and_a_length_for_the_others() {
    let master = Server::start(
        Kind::Vitrine,
        &["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"],
    );
    let mut conn = master.connect();
    assert_eq!(conn.cmd(&["SET", "k", "v"]), b"+OK\r\n");

    let (mut stream, mut buffer) = handshake(master.port, &["eof", "psync2"]);
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let preamble = second_line(&text);
    assert!(preamble.starts_with("$EOF:"), "{text:?}");
    let mark = preamble.as_bytes()["$EOF:".len()..].to_vec();
    assert_eq!(mark.len(), 40);
    assert!(mark.iter().all(u8::is_ascii_hexdigit));
    read_until(&mut stream, &mut buffer, |b| b.ends_with(&mark) && b.len() > 120);
    assert!(buffer.windows(5).any(|w| w == b"REDIS"));
    // Writes after the snapshot wait for the first ACK.
    assert_eq!(conn.cmd(&["SET", "after", "1"]), b"+OK\r\n");
    std::thread::sleep(Duration::from_millis(300));
    let before_ack = buffer.len();
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut chunk = [0u8; 1024];
    if let Ok(n) = stream.read(&mut chunk) {
        assert_eq!(n, 0, "stream before ACK: {:?}", String::from_utf8_lossy(&chunk[..n]));
    }
    assert_eq!(buffer.len(), before_ack);
    stream.write_all(&encode(&[b"REPLCONF", b"ACK", b"0"])).unwrap();
    let mut stream_bytes = Vec::new();
    read_until(&mut stream, &mut stream_bytes, |b| b.windows(5).any(|w| w == b"after"));

    // Without capa eof: the disk-backed `$<len>` transfer.
    let (_plain, buffer) = handshake(master.port, &["psync2"]);
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let second = second_line(&text);
    assert!(second.starts_with('$') && !second.starts_with("$EOF:"), "{text:?}");
    let log = master.log();
    assert!(log.contains("target: disk"), "{log}");
    assert!(log.contains("target: replicas sockets"), "{log}");
}

#[test]
fn max_replicas_starts_one_transfer_for_both_without_waiting_the_delay() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    // A delay no test waits for: only the second replica's arrival starts
    // the transfer, one child serving both.
    let master = Server::start(
        Kind::Vitrine,
        &[
            "--repl-diskless-sync-delay",
            "60",
            "--repl-diskless-sync-max-replicas",
            "2",
        ],
    );
    let mut conn = master.connect();
    populate(&mut conn);
    let port = master.port.to_string();
    let first = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(info_field(&mut conn, "persistence", "rdb_bgsave_in_progress"), "0");
    let second = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    live_writes(&mut conn, 1);
    wait_in_sync(&master, &first, Duration::from_secs(20));
    wait_in_sync(&master, &second, Duration::from_secs(20));
    let on_master = Dataset::read_port(master.port);
    assert_same(&on_master, "vitrine master", &Dataset::read_port(first.port), "first");
    assert_same(&on_master, "vitrine master", &Dataset::read_port(second.port), "second");
    // The replicas have the whole snapshot when the child wrote it; the
    // master marks them online when it notices the child's exit.
    wait_for("both transfers marked done", Duration::from_secs(5), || {
        master.log().matches("succeeded (socket)").count() == 2
    });
    let log = master.log();
    assert!(log.contains("Delay next BGSAVE for diskless SYNC"), "{log}");
    assert_eq!(
        log.matches("Background RDB transfer started by pid").count(),
        1,
        "{log}"
    );
    assert_eq!(log.matches("succeeded (socket)").count(), 2, "{log}");
    assert_eq!(info_field(&mut conn, "stats", "total_forks"), "1");
}

#[test]
fn the_child_is_ended_when_its_last_replica_leaves() {
    // 2 ms per key, uncompressed: the child streams its first chunks
    // after the replica left and is still far from done.
    let master = Server::start(
        Kind::Vitrine,
        &[
            "--repl-diskless-sync-delay",
            "0",
            "--rdb-key-save-delay",
            "2000",
            "--rdbcompression",
            "no",
        ],
    );
    let mut conn = master.connect();
    for i in 0..2000 {
        let value = format!("{i:0>100}");
        assert_eq!(conn.cmd(&["SET", &format!("key{i}"), &value]), b"+OK\r\n");
    }
    let (stream, buffer) = handshake(master.port, &["eof", "psync2"]);
    assert!(second_line(&String::from_utf8_lossy(&buffer)).starts_with("$EOF:"));
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = master.log();
        if log.contains("Diskless rdb transfer, last replica dropped, killing fork child.")
            && log.contains("Background transfer terminated by signal 10")
            && info_field(&mut conn, "persistence", "rdb_bgsave_in_progress") == "0"
        {
            break;
        }
        assert!(Instant::now() < deadline, "{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(conn.cmd(&["PING"]), b"+PONG\r\n");
}
