//! Helpers of the replication tests: INFO fields, polling, and waiting for
//! a replica to catch up with its master.

use super::dataset::{assert_same, Dataset};
use super::{Conn, Server};
use std::time::{Duration, Instant};

/// The value of `field` in `INFO section`, trimmed; empty when absent.
pub fn info_field(conn: &mut Conn, section: &str, field: &str) -> String {
    let reply = conn.cmd(&["INFO", section]);
    let text = String::from_utf8_lossy(&reply).into_owned();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// A master's arguments for replicas that stop reading the stream: it
/// holds what they have not read however long they wait (no output-buffer
/// limit, no `repl-timeout` in a test's time), beyond a 1 MB backlog.
pub const KEEP_STALLED_REPLICAS: [&str; 6] = [
    "--repl-backlog-size",
    "1mb",
    "--client-output-buffer-limit",
    "replica 0 0 0",
    "--repl-timeout",
    "600",
];

/// `INFO memory`'s `used_memory`, in bytes.
pub fn used_memory(conn: &mut Conn) -> i64 {
    info_field(conn, "memory", "used_memory").parse().expect("used_memory")
}

/// Polls `check` every 50 ms until it holds; panics naming `what` after
/// `within`.
pub fn wait_for(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Waits (up to 20 s) until the replica's link is up and it applied all
/// the master sent: its `slave_repl_offset` and its own
/// `master_repl_offset` both equal the master's `master_repl_offset`.
pub fn wait_caught_up(master: &Server, replica: &Server) {
    let mut m = master.connect();
    let mut r = replica.connect();
    wait_for("the replica to catch up", Duration::from_secs(20), || {
        let target = info_field(&mut m, "replication", "master_repl_offset");
        info_field(&mut r, "replication", "master_link_status") == "up"
            && info_field(&mut r, "replication", "slave_repl_offset") == target
            && info_field(&mut r, "replication", "master_repl_offset") == target
    });
}

/// Waits until `replica` is linked and has applied all `master` streamed
/// (`slave_repl_offset` equals the master's `master_repl_offset`); panics
/// with both logs after `within`.
pub fn wait_in_sync(master: &Server, replica: &Server, within: Duration) {
    let deadline = Instant::now() + within;
    let mut m = master.connect();
    let mut r = replica.connect();
    loop {
        let up = info_field(&mut r, "replication", "master_link_status") == "up";
        let master_offset = info_field(&mut m, "replication", "master_repl_offset");
        let replica_offset = info_field(&mut r, "replication", "slave_repl_offset");
        if up && !master_offset.is_empty() && master_offset == replica_offset {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "replica not in sync (up {up}, master {master_offset:?}, replica {replica_offset:?});\nmaster log:\n{}\nreplica log:\n{}",
            master.log(),
            replica.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `commands`, none of which may fail.
pub fn run(conn: &mut Conn, commands: &[&[&str]]) {
    for command in commands {
        let reply = conn.cmd(command);
        assert!(
            !reply.starts_with(b"-"),
            "{command:?}: {}",
            String::from_utf8_lossy(&reply)
        );
    }
}

/// A dataset of every type across dbs 0, 3 and 9, with aggregates past
/// the listpack/intset limits.
pub fn populate(conn: &mut Conn) {
    run(
        conn,
        &[
            &["SET", "s", "hello"],
            &["SET", "n", "12345"],
            &["SET", "ttl", "v", "PX", "500000"],
            &["RPUSH", "list", "a", "b", "c", "1", "2"],
            &["HSET", "hash", "f1", "v1", "f2", "2"],
            &["SADD", "ints", "1", "2", "3"],
            &["SADD", "set", "x", "y", "z"],
            &["ZADD", "zset", "1", "a", "2.5", "b", "-3", "c"],
            &["SELECT", "3"],
            &["SET", "db3", "three"],
            &["LPUSH", "l3", "q"],
            &["SELECT", "9"],
            &["HSET", "h9", "k", "v"],
            &["SELECT", "0"],
        ],
    );
    // Larger aggregates, past the listpack/intset limits.
    for i in 0..300 {
        let i = i.to_string();
        run(
            conn,
            &[
                &["HSET", "bighash", &format!("field{i}"), &i],
                &["SADD", "bigset", &format!("m{i}")],
                &["ZADD", "bigzset", &i, &format!("z{i}")],
                &["RPUSH", "biglist", &i],
            ],
        );
    }
}

/// One round of live writes: expiries, INCRBYFLOAT, SPOP, MULTI, another
/// db, a key that expires lazily (its DEL propagates). The float stays
/// fractional for three rounds: an integral INCRBYFLOAT result is an
/// `embstr` on the master and an `int` on any replica, Redis's too.
pub fn live_writes(conn: &mut Conn, round: usize) {
    let r = round.to_string();
    run(
        conn,
        &[
            &["SET", "live", &r],
            &["EXPIRE", "live", "1000"],
            &["INCRBYFLOAT", "float", "1.25"],
            &["SADD", "pop", "a", "b", "c", "d"],
            &["SPOP", "pop"],
            &["SPOP", "pop", "2"],
            &["MULTI"],
            &["INCR", "counter"],
            &["LPUSH", "list", &r],
            &["ZINCRBY", "zset", "1", "a"],
        ],
    );
    let queued = conn.cmd(&["EXEC"]);
    assert!(queued.starts_with(b"*3"), "{}", String::from_utf8_lossy(&queued));
    run(
        conn,
        &[
            &["SELECT", "5"],
            &["HSET", "h5", "round", &r],
            &["SET", "gone", "x", "PX", "1"],
            &["DEL", "s"],
        ],
    );
    // The key expires on the master; the lazy expiry propagates a DEL.
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(conn.cmd(&["GET", "gone"]), b"$-1\r\n");
    run(conn, &[&["SELECT", "0"]]);
}

/// Panics with the differences unless `replica` holds the same data as
/// `master`, which must hold some.
pub fn assert_converged(master: &Server, replica: &Server) {
    let left = Dataset::read_port(master.port).normalized();
    assert!(!left.is_empty(), "the master holds no data");
    let right = Dataset::read_port(replica.port).normalized();
    assert_same(&left, "master", &right, "replica");
}
