//! Replication under faults, with real processes: links killed again and
//! again from both sides while writes stream (partial resyncs only), a
//! link killed during the full sync (the replica retries), a replica that
//! stops reading cut off by `client-output-buffer-limit replica` while the
//! others keep up (and, once it reads again, it resyncs and converges),
//! and the seed configs started as a master/replica pair.

mod common;

use common::repl::{assert_converged, info_field, wait_in_sync};
use common::{redis_available, Conn, Kind, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn info_number(conn: &mut Conn, section: &str, field: &str) -> i64 {
    info_field(conn, section, field)
        .parse()
        .ok()
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
}

fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes to `port` from another thread until `stop` is set: strings,
/// counters, lists and hashes over a few databases. Returns the number
/// of commands sent.
fn write_load(port: u16, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut conn = Conn::connect(port);
        let mut sent = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let i = sent.to_string();
            let key = format!("k{}", sent % 97);
            for command in [
                vec!["SET", &key, &i],
                vec!["INCR", "counter"],
                vec!["RPUSH", "list", &i],
                vec!["HSET", "hash", &key, &i],
            ] {
                let reply = conn.cmd(&command);
                assert!(!reply.starts_with(b"-"), "{command:?}: {reply:?}");
            }
            if sent.is_multiple_of(10) {
                conn.cmd(&["SELECT", "5"]);
                conn.cmd(&["SADD", "set5", &i]);
                conn.cmd(&["SELECT", "0"]);
            }
            sent += 1;
            std::thread::sleep(Duration::from_millis(2));
        }
        sent
    })
}

#[test]
fn links_killed_repeatedly_while_streaming_resume_partially() {
    if !redis_available() {
        return;
    }
    let master = Server::start(
        Kind::Vitrine,
        &["--repl-ping-replica-period", "1", "--repl-diskless-sync", "no"],
    );
    let port = master.port.to_string();
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    wait_in_sync(&master, &replica, Duration::from_secs(10));
    let mut m = master.connect();
    let mut r = replica.connect();
    assert_eq!(info_number(&mut m, "stats", "sync_full"), 1);

    let stop = Arc::new(AtomicBool::new(false));
    let writer = write_load(master.port, stop.clone());
    for round in 0..4 {
        std::thread::sleep(Duration::from_millis(300));
        let killed = if round % 2 == 0 {
            r.cmd(&["CLIENT", "KILL", "TYPE", "master"])
        } else {
            m.cmd(&["CLIENT", "KILL", "TYPE", "replica"])
        };
        assert_eq!(killed, b":1\r\n", "round {round}");
        // The replica reconnects within its 1 s cron.
        wait_for("the link back up", Duration::from_secs(5), || {
            info_field(&mut r, "replication", "master_link_status") == "up"
        });
    }
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let sent = writer.join().expect("writer");
    assert!(sent > 50, "only {sent} writes");
    wait_in_sync(&master, &replica, Duration::from_secs(10));
    assert_converged(&master, &replica);
    assert_eq!(info_number(&mut m, "stats", "sync_full"), 1, "{}", master.log());
    assert!(info_number(&mut m, "stats", "sync_partial_ok") >= 4, "{}", master.log());
    let log = master.log();
    assert!(
        log.contains("Partial resynchronization request from 127.0.0.1:"),
        "{log}"
    );
    assert!(log.contains("accepted. Sending"), "{log}");
    let replica_log = replica.log();
    assert!(
        replica_log.contains("Successful partial resynchronization with master."),
        "{replica_log}"
    );
}

#[test]
fn a_link_killed_during_the_full_sync_is_retried() {
    if !redis_available() {
        return;
    }
    // 150 keys at 8 ms each: a snapshot of over a second.
    let master = Server::start(
        Kind::Vitrine,
        &["--rdb-key-save-delay", "8000", "--repl-diskless-sync", "no"],
    );
    let mut m = master.connect();
    for i in 0..150 {
        let i = i.to_string();
        m.cmd(&["SET", &format!("key:{i}"), &i]);
    }
    let port = master.port.to_string();
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    wait_for("the snapshot to start", Duration::from_secs(5), || {
        master.log().contains("Starting BGSAVE for SYNC with target: disk")
    });
    // Writes during the snapshot are kept for the replica.
    m.cmd(&["SET", "during", "snapshot"]);
    assert_eq!(m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), b":1\r\n");
    m.cmd(&["SET", "after", "kill"]);
    m.cmd(&["INCR", "key:7"]);
    wait_in_sync(&master, &replica, Duration::from_secs(15));
    assert_converged(&master, &replica);
    assert!(info_number(&mut m, "stats", "sync_full") >= 2, "{}", master.log());
    let log = master.log();
    assert!(log.contains("Connection with replica 127.0.0.1:"), "{log}");
    assert!(log.contains("Synchronization with replica 127.0.0.1:"), "{log}");
    let mut r = replica.connect();
    assert_eq!(r.cmd(&["GET", "after"]), b"$4\r\nkill\r\n");
    assert_eq!(r.cmd(&["GET", "key:7"]), b"$1\r\n8\r\n");
}

/// A raw replica: handshake and `PSYNC ? -1`, then it never reads again.
fn stalled_replica(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let expect = |stream: &mut TcpStream, command: &[u8], reply: &[u8]| {
        stream.write_all(command).expect("write");
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n") {
            assert_eq!(stream.read(&mut byte).expect("read"), 1, "closed");
            got.push(byte[0]);
        }
        assert!(got.starts_with(reply), "{}", String::from_utf8_lossy(&got));
    };
    expect(
        &mut stream,
        b"*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n4321\r\n",
        b"+OK",
    );
    expect(
        &mut stream,
        b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n",
        b"+FULLRESYNC",
    );
    stream
}

fn send_to_pid(pid: u32, signal: i32) {
    // SAFETY: kill(2) on a process this test spawned.
    let result = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(result, 0, "kill({pid}, {signal})");
}

#[test]
fn replicas_that_stop_reading_are_cut_off_and_the_others_keep_up() {
    if !redis_available() {
        return;
    }
    let master = Server::start(
        Kind::Vitrine,
        &[
            "--client-output-buffer-limit",
            "replica 1mb 256kb 1",
            "--repl-diskless-sync",
            "no",
        ],
    );
    let port = master.port.to_string();
    let keeping_up = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    let paused = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    wait_in_sync(&master, &keeping_up, Duration::from_secs(10));
    wait_in_sync(&master, &paused, Duration::from_secs(10));
    let mut stalled = stalled_replica(master.port);
    let mut m = master.connect();
    wait_for("the raw replica online", Duration::from_secs(5), || {
        info_number(&mut m, "replication", "connected_slaves") == 3
            && String::from_utf8_lossy(&m.cmd(&["INFO", "replication"])).contains("port=4321,state=online")
    });
    send_to_pid(paused.pid(), libc::SIGSTOP);

    // About 24 MB of stream: more than the sockets hold.
    let value = "v".repeat(64 * 1024);
    for i in 0..384 {
        let reply = m.cmd(&["SET", &format!("big:{}", i % 64), &value]);
        assert_eq!(reply, b"+OK\r\n");
    }
    m.cmd(&["SET", "last", "write"]);
    wait_for("both stalled replicas cut off", Duration::from_secs(10), || {
        master
            .log()
            .matches("scheduled to be closed ASAP for overcoming of output buffer limits.")
            .count()
            >= 2
    });
    let log = master.log();
    assert!(log.contains(" flags=S db=0 "), "{log}");
    // The raw replica's connection is gone (after whatever the kernel held).
    stalled.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut chunk = vec![0u8; 1 << 20];
    let closed = loop {
        match stalled.read(&mut chunk) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(error) => break error.kind() == std::io::ErrorKind::ConnectionReset,
        }
    };
    assert!(closed, "the stalled replica was not disconnected");
    wait_in_sync(&master, &keeping_up, Duration::from_secs(10));
    assert_converged(&master, &keeping_up);

    // The paused replica reads again: its link is gone, it reconnects and
    // resynchronizes (the gap exceeds the 1 MB backlog: a full resync).
    send_to_pid(paused.pid(), libc::SIGCONT);
    wait_in_sync(&master, &paused, Duration::from_secs(15));
    assert_converged(&master, &paused);
    assert_eq!(info_number(&mut m, "replication", "connected_slaves"), 2);
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed-configs")
        .join(name)
}

#[test]
fn the_seed_configs_as_a_master_and_its_replica() {
    // The folders the configs name must exist, as for redis-server; the
    // harness then overrides port, dir, logfile and daemonize.
    std::fs::create_dir_all("/usr/local/dev/redis/redis-4.0.9/data").expect("seed data dir");
    std::fs::create_dir_all("/usr/local/dev/redis/redis-4.0.9/log").expect("seed log dir");
    let master = Server::start_with(
        Kind::Vitrine,
        Some(&fixture("master-6379.conf")),
        &["--repl-diskless-sync", "no"],
    );
    let port = master.port.to_string();
    let replica = Server::start_with(
        Kind::Vitrine,
        Some(&fixture("slave-6379.conf")),
        &["--slaveof", "127.0.0.1", &port],
    );
    let mut m = master.connect();
    assert_eq!(m.cmd(&["SET", "greeting", "hello"]), b"+OK\r\n");
    assert_eq!(m.cmd(&["SELECT", "3"]), b"+OK\r\n");
    assert_eq!(m.cmd(&["RPUSH", "list", "a", "b"]), b":2\r\n");
    wait_in_sync(&master, &replica, Duration::from_secs(10));
    let mut r = replica.connect();
    assert_eq!(r.cmd(&["GET", "greeting"]), b"$5\r\nhello\r\n");
    assert_eq!(r.cmd(&["SELECT", "3"]), b"+OK\r\n");
    assert_eq!(r.cmd(&["LRANGE", "list", "0", "-1"]), b"*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(
        r.cmd(&["SET", "x", "y"]),
        b"-READONLY You can't write against a read only replica.\r\n"
    );
    assert_converged(&master, &replica);

    // The notes' three steps: connection, data synchronization, command
    // propagation, told by both logs.
    let master_log = master.log();
    for line in [
        "Replica 127.0.0.1:",
        "asks for synchronization",
        "Full resync requested by replica 127.0.0.1:",
        "Starting BGSAVE for SYNC with target: disk",
        "Background saving terminated with success",
        "Synchronization with replica 127.0.0.1:",
    ] {
        assert!(master_log.contains(line), "master log lacks {line:?}:\n{master_log}");
    }
    let replica_log = replica.log();
    for line in [
        format!("Connecting to MASTER 127.0.0.1:{port}"),
        "MASTER <-> REPLICA sync started".to_string(),
        "Master replied to PING, replication can continue...".to_string(),
        "Full resync from master:".to_string(),
        "MASTER <-> REPLICA sync: receiving".to_string(),
        "MASTER <-> REPLICA sync: Finished with success".to_string(),
    ] {
        assert!(
            replica_log.contains(&line),
            "replica log lacks {line:?}:\n{replica_log}"
        );
    }
}
