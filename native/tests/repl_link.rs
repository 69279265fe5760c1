//! `vitrine_core::repl::ReplicaLink` against a real `redis-server` 7.0
//! master: the handshake is Redis's if Redis accepts it. Over a plain TCP
//! socket the test pumps bytes through the link, loads the RDB with
//! `rdb::load::Loader` (disk-backed `$<len>` and diskless `$EOF:` transfers),
//! checks the keyspace against the master's `DBSIZE`, sees a `SET` arrive in
//! the stream, acknowledges it (the master's `INFO` shows the offset), then
//! reconnects and continues with a partial resync.

mod common;

use common::link::{tcp, LinkReplica};
use common::repl::info_field;

use common::{Conn, Kind, Server};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use vitrine_core::repl::link::State;
use vitrine_core::repl::{LinkConfig, ReplId};

type Replica = LinkReplica<TcpStream>;

fn dbsize(conn: &mut Conn, db: &str) -> usize {
    conn.cmd(&["SELECT", db]);
    let reply = conn.cmd(&["DBSIZE"]);
    String::from_utf8_lossy(&reply[1..reply.len() - 2]).parse().unwrap()
}

fn populate(conn: &mut Conn) {
    for i in 0..500 {
        conn.cmd(&["SET", &format!("key:{i}"), &format!("value {i}")]);
    }
    conn.cmd(&["RPUSH", "list", "a", "b", "c"]);
    conn.cmd(&["HSET", "hash", "f", "v"]);
    conn.cmd(&["SADD", "set", "1", "2", "3"]);
    conn.cmd(&["ZADD", "zset", "1", "a", "2.5", "b"]);
    conn.cmd(&["SELECT", "3"]);
    conn.cmd(&["SET", "other", "db"]);
    conn.cmd(&["PEXPIRE", "other", "100000000"]);
    conn.cmd(&["SELECT", "0"]);
}

fn sync_and_stream(extra: &[&str], diskless: bool) {
    if !common::redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    let mut args = vec!["--requirepass", "sesame"];
    args.extend_from_slice(extra);
    let master = Server::start(Kind::Redis, &args);
    let mut conn = master.connect();
    conn.cmd(&["AUTH", "sesame"]);
    populate(&mut conn);

    let config = LinkConfig {
        masterauth: Some(b"sesame".to_vec()),
        listening_port: 7777,
        announce_ip: Some(b"10.1.2.3".to_vec()),
        timeout_ms: 60_000,
        ..LinkConfig::default()
    };
    let mut replica = Replica::new(tcp(master.port), config.clone());
    replica.pump_until("the stream", |r| r.link.state() == State::Connected);
    assert_eq!(replica.keyspace.db_ref(0).len(), dbsize(&mut conn, "0"));
    assert_eq!(replica.keyspace.db_ref(3).len(), dbsize(&mut conn, "3"));
    assert_eq!(replica.keyspace.total_keys(), 505);
    assert!(
        replica.log.iter().any(|e| e.starts_with("FullResync")),
        "{:?}",
        replica.log
    );
    let framing = replica.log.iter().find(|e| e.starts_with("RdbStart")).unwrap();
    assert_eq!(framing.contains("None"), diskless, "{framing}");

    // The master lists us with what we announced.
    // (A diskless master marks us online once its child is reaped and our
    // first ACK arrived.)
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let slave0 = info_field(&mut conn, "replication", "slave0");
        if slave0.starts_with("ip=10.1.2.3,port=7777,state=online") {
            break;
        }
        assert!(Instant::now() < deadline, "{slave0}");
        replica.pump();
    }

    // A write arrives in the stream, after a SELECT.
    conn.cmd(&["SELECT", "0"]);
    conn.cmd(&["SET", "live", "value"]);
    let set = b"*3\r\n$3\r\nSET\r\n$4\r\nlive\r\n$5\r\nvalue\r\n";
    replica.pump_until("the SET", |r| r.stream.windows(set.len()).any(|w| w == set));
    // The engine would apply every command; report them all as applied and
    // acknowledge: the master sees our offset.
    let received = replica.link.read_reploff();
    replica.apply_all_and_ack();
    let master_offset: i64 = info_field(&mut conn, "replication", "master_repl_offset")
        .parse()
        .unwrap();
    assert_eq!(master_offset, received, "all the stream was received");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let slave0 = info_field(&mut conn, "replication", "slave0");
        if slave0.contains(&format!("offset={received},")) {
            break;
        }
        assert!(Instant::now() < deadline, "the master never saw our ACK: {slave0}");
        replica.pump();
    }

    // Reconnect: a partial resync from where we were.
    let resume = replica.link.resume_point().expect("a resume point");
    assert_eq!(resume.1, received);
    assert_eq!(
        resume.0,
        ReplId::parse(info_field(&mut conn, "replication", "master_replid").as_bytes()).unwrap()
    );
    drop(replica);
    conn.cmd(&["SET", "while-away", "1"]);
    let mut again = Replica::new(
        tcp(master.port),
        LinkConfig {
            resume: Some(resume),
            ..config
        },
    );
    let set = b"*3\r\n$3\r\nSET\r\n$10\r\nwhile-away\r\n$1\r\n1\r\n";
    again.pump_until("the missed SET", |r| r.stream.windows(set.len()).any(|w| w == set));
    assert!(
        again.log.iter().any(|e| e == "Continue { new_replid: None }"),
        "{:?}",
        again.log
    );
    assert_eq!(info_field(&mut conn, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(&mut conn, "stats", "sync_full"), "1");
}

#[test]
fn disk_backed_sync_from_redis() {
    sync_and_stream(&["--repl-diskless-sync", "no"], false);
}

#[test]
fn diskless_sync_from_redis() {
    sync_and_stream(
        &["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"],
        true,
    );
}
