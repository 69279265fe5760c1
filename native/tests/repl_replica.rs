//! vitrine as the replica of a real `redis-server` 7.0 master: full sync
//! (disk-backed and diskless), live writes of every family (expiries,
//! `SPOP`, `MULTI`, several databases) compared key by key, `-READONLY`,
//! `ROLE` and `INFO replication`, partial resync after the link is cut,
//! `REPLICAOF NO ONE` (PSYNC2 ids) and `-MASTERDOWN`.

mod common;

use common::repl::{info_field, wait_for};

use common::dataset::{assert_same, pipeline, Dataset};
use common::{Conn, Kind, Server};
use std::time::Duration;

/// Waits until the replica's link is up.
fn wait_link_up(replica: &Server) {
    let mut conn = replica.connect();
    wait_for("master_link_status:up", Duration::from_secs(20), || {
        info_field(&mut conn, "replication", "master_link_status") == "up"
    });
}

/// Waits until the replica applied everything the master has sent.
fn wait_caught_up(master: &Server, replica: &Server) {
    let mut m = master.connect();
    let mut r = replica.connect();
    wait_for("the replica to catch up", Duration::from_secs(20), || {
        let target = info_field(&mut m, "replication", "master_repl_offset");
        info_field(&mut r, "replication", "slave_repl_offset") == target
            && info_field(&mut r, "replication", "master_repl_offset") == target
    });
}

/// Compares every key; `encodings` too right after a full sync (live
/// writes may legitimately differ there, as between two Redis nodes:
/// `INCRBYFLOAT` leaves an `embstr` the propagated `SET` makes an `int`).
fn compare_with(master: &Server, replica: &Server, encodings: bool) {
    let mut left = Dataset::read_port(master.port);
    let mut right = Dataset::read_port(replica.port);
    assert!(!left.is_empty());
    if !encodings {
        left = left.normalized();
        right = right.normalized();
    }
    assert_same(&left, "redis master", &right, "vitrine replica");
}

fn compare(master: &Server, replica: &Server) {
    compare_with(master, replica, false);
}

/// Keys of every type and several encodings in dbs 0, 1 and 9, some with
/// expiries far away.
fn load_dataset(conn: &mut Conn) {
    let big: Vec<String> = (0..200).map(|i| format!("member-{i}")).collect();
    let mut commands: Vec<Vec<Vec<u8>>> = vec![
        vec!["SET".into(), "str".into(), "hello".into()],
        vec!["SET".into(), "int".into(), "12345".into()],
        vec!["SET".into(), "bin".into(), b"a\x00b\r\n".to_vec()],
        vec!["SET".into(), "ttl".into(), "v".into(), "EX".into(), "10000".into()],
        vec!["RPUSH".into(), "list".into(), "a".into(), "b".into(), "c".into()],
        vec![
            "HSET".into(),
            "hash".into(),
            "f1".into(),
            "v1".into(),
            "f2".into(),
            "2".into(),
        ],
        vec!["SADD".into(), "intset".into(), "1".into(), "2".into(), "3".into()],
        vec!["SADD".into(), "set".into(), "x".into(), "y".into()],
        vec![
            "ZADD".into(),
            "zset".into(),
            "1".into(),
            "a".into(),
            "2.5".into(),
            "b".into(),
        ],
        vec!["SELECT".into(), "1".into()],
        vec!["SET".into(), "db1".into(), "one".into()],
        vec!["HSET".into(), "hash1".into(), "f".into(), "v".into()],
        vec!["PEXPIRE".into(), "hash1".into(), "50000000".into()],
        vec!["SELECT".into(), "9".into()],
        vec!["LPUSH".into(), "list9".into(), "z".into()],
        vec!["SELECT".into(), "0".into()],
    ];
    let mut bigset = vec!["SADD".as_bytes().to_vec(), b"bigset".to_vec()];
    let mut bighash = vec![b"HSET".to_vec(), b"bighash".to_vec()];
    let mut bigzset = vec![b"ZADD".to_vec(), b"bigzset".to_vec()];
    for (i, m) in big.iter().enumerate() {
        bigset.push(m.as_bytes().to_vec());
        bighash.push(m.as_bytes().to_vec());
        bighash.push(i.to_string().into_bytes());
        bigzset.push(i.to_string().into_bytes());
        bigzset.push(m.as_bytes().to_vec());
    }
    commands.push(bigset);
    commands.push(bighash);
    commands.push(bigzset);
    let refs: Vec<Vec<&[u8]>> = commands.iter().map(|c| c.iter().map(Vec::as_slice).collect()).collect();
    for reply in pipeline(conn, &refs) {
        assert!(!reply.describe().starts_with("-"), "{}", reply.describe());
    }
}

/// Writes of every family while the link streams: expiries, SPOP,
/// INCRBYFLOAT, a MULTI, db changes.
fn live_writes(conn: &mut Conn, round: usize) {
    let r = round.to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["SET", "live", &r],
        vec!["INCR", "int"],
        vec!["INCRBYFLOAT", "float", "1.5"],
        vec!["APPEND", "str", "!"],
        vec!["EXPIRE", "str", "100000"],
        vec!["SET", "px", "v", "PX", "90000000"],
        vec!["SPOP", "bigset"],
        vec!["SPOP", "set"],
        vec!["LPUSH", "list", "new"],
        vec!["RPOP", "list"],
        vec!["HINCRBY", "hash", "f2", "3"],
        vec!["ZINCRBY", "zset", "2", "a"],
        vec!["SREM", "intset", "1"],
        vec!["MULTI"],
        vec!["SET", "in-multi", &r],
        vec!["SADD", "set", "w", "v"],
        vec!["SELECT", "1"],
        vec!["DEL", "db1"],
        vec!["EXEC"],
        vec!["SELECT", "9"],
        vec!["RPUSH", "list9", &r],
        vec!["SELECT", "0"],
        vec!["PERSIST", "ttl"],
        vec!["GETEX", "int", "EX", "70000"],
    ];
    let refs: Vec<Vec<&[u8]>> = commands
        .iter()
        .map(|c| c.iter().map(|a| a.as_bytes()).collect())
        .collect();
    pipeline(conn, &refs);
}

fn redis_master(diskless: bool) -> Server {
    Server::start(
        Kind::Redis,
        &[
            "--repl-diskless-sync",
            if diskless { "yes" } else { "no" },
            "--repl-diskless-sync-delay",
            "0",
        ],
    )
}

fn vitrine_replica(master: &Server, extra: &[&str]) -> Server {
    let port = master.port.to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str()];
    args.extend_from_slice(extra);
    Server::start(Kind::Vitrine, &args)
}

#[test]
fn follows_a_redis_master_disk_backed_then_live_writes() {
    let master = redis_master(false);
    let mut m = master.connect();
    load_dataset(&mut m);
    let replica = vitrine_replica(&master, &[]);
    wait_link_up(&replica);
    wait_caught_up(&master, &replica);
    compare_with(&master, &replica, true);
    let log = replica.log();
    for line in [
        "Connecting to MASTER 127.0.0.1:",
        "MASTER <-> REPLICA sync started",
        "Master replied to PING, replication can continue...",
        "Partial resynchronization not possible (no cached master)",
        "Full resync from master: ",
        "MASTER <-> REPLICA sync: receiving ",
        "MASTER <-> REPLICA sync: Finished with success",
    ] {
        assert!(log.contains(line), "missing {line:?} in:\n{log}");
    }
    for round in 0..3 {
        live_writes(&mut m, round);
        wait_caught_up(&master, &replica);
        compare(&master, &replica);
    }
    // The master's view of its replica.
    let slave0 = info_field(&mut m, "replication", "slave0");
    assert!(slave0.contains(&format!("port={}", replica.port)), "{slave0}");
    assert!(slave0.contains("state=online"), "{slave0}");

    let mut r = replica.connect();
    assert_eq!(
        r.cmd(&["SET", "x", "1"]),
        b"-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(r.cmd(&["MULTI"]), b"+OK\r\n");
    assert_eq!(
        r.cmd(&["INCR", "x"]),
        b"-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(
        r.cmd(&["EXEC"]),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(r.cmd(&["GET", "live"]), b"$1\r\n2\r\n");
    let offset = info_field(&mut m, "replication", "master_repl_offset");
    let role = r.cmd(&["ROLE"]);
    let expected = format!(
        "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{}\r\n$9\r\nconnected\r\n:{}\r\n",
        master.port, offset
    );
    assert_eq!(String::from_utf8_lossy(&role), expected);
    assert_eq!(info_field(&mut r, "replication", "role"), "slave");
    assert_eq!(
        info_field(&mut r, "replication", "master_port"),
        master.port.to_string()
    );
    assert_eq!(info_field(&mut r, "replication", "master_sync_in_progress"), "0");
    assert_eq!(info_field(&mut r, "replication", "slave_read_only"), "1");
    assert_eq!(info_field(&mut r, "replication", "slave_priority"), "100");
    assert_eq!(
        info_field(&mut r, "replication", "master_replid"),
        info_field(&mut m, "replication", "master_replid")
    );
    // REPLCONF GETACK: the master learns our offset.
    assert_eq!(m.cmd(&["WAIT", "1", "2000"]), b":1\r\n");
}

#[test]
fn follows_a_diskless_master_and_resumes_partially() {
    let master = redis_master(true);
    let mut m = master.connect();
    load_dataset(&mut m);
    let replica = vitrine_replica(&master, &[]);
    wait_link_up(&replica);
    live_writes(&mut m, 0);
    wait_caught_up(&master, &replica);
    compare(&master, &replica);
    assert!(replica.log().contains("receiving streamed RDB from master with EOF"));
    // Cut the link from the master's side, write meanwhile: the replica
    // continues from the backlog.
    for round in 1..4 {
        m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
        live_writes(&mut m, round);
        wait_link_up(&replica);
        wait_caught_up(&master, &replica);
        compare(&master, &replica);
    }
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "3");
    let log = replica.log();
    assert!(log.contains("Trying a partial resynchronization (request "), "{log}");
    assert!(
        log.contains("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."),
        "{log}"
    );
}

#[test]
fn replicaof_command_no_one_and_masterdown() {
    let master = redis_master(false);
    let mut m = master.connect();
    load_dataset(&mut m);
    let replica = Server::start(Kind::Vitrine, &["--replica-serve-stale-data", "no"]);
    let mut r = replica.connect();
    assert_eq!(r.cmd(&["ROLE"]), b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    assert_eq!(
        r.cmd(&["REPLICAOF", "127.0.0.1", "70000"]),
        b"-ERR Invalid master port\r\n"
    );
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", "x"]), b"-ERR Invalid master port\r\n");
    // A master nobody listens on: the link stays down.
    let nobody = common::free_port().to_string();
    assert_eq!(r.cmd(&["SLAVEOF", "127.0.0.1", &nobody]), b"+OK\r\n");
    assert_eq!(
        r.cmd(&["SLAVEOF", "127.0.0.1", &nobody]),
        b"+OK Already connected to specified master\r\n"
    );
    assert_eq!(
        r.cmd(&["GET", "x"]),
        b"-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
    );
    assert_eq!(info_field(&mut r, "replication", "master_link_status"), "down");
    assert_eq!(
        info_field(&mut r, "replication", "master_link_down_since_seconds"),
        "-1"
    );
    // Now the real master.
    let port = master.port.to_string();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &port]), b"+OK\r\n");
    wait_link_up(&replica);
    wait_caught_up(&master, &replica);
    compare(&master, &replica);
    assert_eq!(info_field(&mut r, "replication", "master_host"), "127.0.0.1");
    // Promotion: the master's id becomes replid2, valid up to offset + 1.
    let old_id = info_field(&mut m, "replication", "master_replid");
    let offset: i64 = info_field(&mut r, "replication", "master_repl_offset").parse().unwrap();
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), b"+OK\r\n");
    assert_eq!(info_field(&mut r, "replication", "role"), "master");
    assert_eq!(info_field(&mut r, "replication", "master_replid2"), old_id);
    assert_eq!(
        info_field(&mut r, "replication", "second_repl_offset"),
        (offset + 1).to_string()
    );
    assert_ne!(info_field(&mut r, "replication", "master_replid"), old_id);
    assert_eq!(r.cmd(&["SET", "x", "1"]), b"+OK\r\n");
    assert!(replica.log().contains("MASTER MODE enabled (user request from '"));
    // The promoted node keeps the data.
    assert_eq!(r.cmd(&["GET", "str"]), b"$5\r\nhello\r\n");
}
