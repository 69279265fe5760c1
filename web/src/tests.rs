//! The replica driven with bytes alone, in headless Chromium
//! (`scripts/test`) and natively: a core engine plays the master (its
//! keyspace written as the RDB, its propagated writes as the stream), the
//! browser replica's [`Node`] loads and applies them, and every type in
//! several databases must read back the same through both engines.

use crate::node::{encode, Change, Node, NodeConfig};
use vitrine_core::config::{Config, Id};
use vitrine_core::engine::client::ConnInfo;
use vitrine_core::engine::{ClientHandle, Engine, Host, HostInfo};
use vitrine_core::rdb::encoder::{write_keyspace, Aux, SaveOptions};
use vitrine_core::resp::frame::{self, Frame, FrameLimits};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const NOW: i64 = 1_700_000_000_000;
const REPLID: &str = "8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb";

fn clock() -> i64 {
    NOW
}

struct QuietHost;

impl Host for QuietHost {
    fn apply_config(&mut self, _: &mut Config, _: &[Id]) -> Result<(), String> {
        Ok(())
    }
    fn info(&self) -> HostInfo {
        HostInfo::default()
    }
    fn log(&mut self, _: u8, _: &str) {}
    fn monotonic_us(&self) -> u64 {
        0
    }
    fn unix_time_us(&self) -> i64 {
        NOW * 1000
    }
    fn rewrite_config(&mut self, _: &Config) -> Result<(), String> {
        Err("no file".into())
    }
}

/// A core engine in the master role, with one client.
struct Master {
    engine: Engine,
    client: ClientHandle,
    stream_db: Option<usize>,
}

impl Master {
    fn new() -> Master {
        let mut engine = Engine::new(Config::new(), [3; 32], Box::new(QuietHost), NOW);
        let conn = ConnInfo {
            is_local: true,
            ..ConnInfo::default()
        };
        let client = engine.connect(conn, NOW).expect("a client");
        let mut master = Master {
            engine,
            client,
            stream_db: None,
        };
        master.call(0, &["HELLO", "3"]);
        master
    }

    /// Runs one command in `db` and returns its reply.
    fn call(&mut self, db: usize, args: &[&str]) -> Frame {
        let mut request = Vec::new();
        encode(&mut request, &[b"SELECT", db.to_string().as_bytes()]);
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        encode(&mut request, &args);
        self.engine
            .input_buffer(self.client)
            .expect("client")
            .extend_from_slice(&request);
        self.engine.process_input(self.client, NOW);
        let output = self.engine.output(self.client).to_vec();
        self.engine.consume_output(self.client, output.len());
        let mut frames = Vec::new();
        let mut at = 0;
        while at < output.len() {
            let (frame, used) = frame::parse(&output[at..], &FrameLimits::default()).expect("a reply");
            frames.push(frame);
            at += used;
        }
        frames.pop().expect("a reply")
    }

    /// The full sync's snapshot.
    fn rdb(&self) -> Vec<u8> {
        let aux = Aux {
            redis_ver: "7.0.15",
            ctime: NOW / 1000,
            used_mem: 0,
            replication: None,
            aof_base: false,
        };
        let options = SaveOptions::from_config(self.engine.config());
        write_keyspace(self.engine.keyspace(), &aux, options, Vec::new(), || {}).expect("rdb")
    }

    /// What the master's writes since the last call put on the stream,
    /// `SELECT` included as a master emits it.
    fn stream(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        for effect in self.engine.take_propagated() {
            if self.stream_db != Some(effect.db) {
                encode(&mut out, &[b"SELECT", effect.db.to_string().as_bytes()]);
                self.stream_db = Some(effect.db);
            }
            let args = effect.args.as_args();
            let args: Vec<&[u8]> = (0..args.len()).map(|i| args.get(i)).collect();
            encode(&mut out, &args);
        }
        out
    }
}

fn node(password: Option<&str>) -> Node {
    Node::new(NodeConfig {
        master: ("127.0.0.1".into(), 8080),
        password: password.map(String::from),
        seed: [9; 32],
        log: Box::new(|_, _| {}),
        clock,
    })
    .expect("a node")
}

/// What the replica sent since the last call.
fn sent(node: &mut Node) -> String {
    let mut out = Vec::new();
    node.output(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs the handshake up to the master's PSYNC reply; returns the PSYNC
/// line the replica sent.
fn handshake(node: &mut Node) -> String {
    node.connecting(NOW);
    node.connected(NOW);
    assert!(sent(node).contains("PING"));
    node.input(b"+PONG\r\n", NOW);
    // REPLCONF listening-port and capa go together, as Redis 7 sends them.
    let replconf = sent(node);
    assert!(
        replconf.contains("listening-port\r\n$1\r\n0") && replconf.contains("capa"),
        "{replconf}"
    );
    node.input(b"+OK\r\n", NOW);
    node.input(b"+OK\r\n", NOW);
    let psync = sent(node);
    assert!(psync.contains("PSYNC"), "{psync}");
    psync
}

/// A canonical text of every key of every database, read with `call`.
fn dataset(mut call: impl FnMut(usize, &[&str]) -> Frame) -> Vec<String> {
    let mut lines = Vec::new();
    for db in 0..16 {
        let mut keys = Vec::new();
        let mut cursor = String::from("0");
        loop {
            let Frame::Array(mut page) = call(db, &["SCAN", &cursor, "COUNT", "100"]) else {
                panic!("SCAN reply")
            };
            let Some(Frame::Array(found)) = page.pop() else {
                panic!("keys")
            };
            let Some(Frame::Bulk(next)) = page.pop() else {
                panic!("cursor")
            };
            keys.extend(found.into_iter().map(|k| match k {
                Frame::Bulk(k) => String::from_utf8(k).expect("utf-8 key"),
                other => panic!("{other:?}"),
            }));
            cursor = String::from_utf8(next).expect("cursor");
            if cursor == "0" {
                break;
            }
        }
        keys.sort();
        for key in keys {
            let kind = match call(db, &["TYPE", &key]) {
                Frame::Simple(t) => String::from_utf8(t).expect("type"),
                other => panic!("{other:?}"),
            };
            let value = match kind.as_str() {
                "string" => call(db, &["GET", &key]),
                "list" => call(db, &["LRANGE", &key, "0", "-1"]),
                "hash" => call(db, &["HGETALL", &key]),
                "set" => call(db, &["SMEMBERS", &key]),
                _ => call(db, &["ZRANGE", &key, "0", "-1", "WITHSCORES"]),
            };
            let ttl = call(db, &["PTTL", &key]);
            lines.push(format!("{db} {key} {kind} {} {ttl:?}", canonical(value)));
        }
    }
    lines
}

/// A reply as text with unordered collections sorted.
fn canonical(frame: Frame) -> String {
    match frame {
        Frame::Set(items) => {
            let mut items: Vec<String> = items.into_iter().map(canonical).collect();
            items.sort();
            format!("~{items:?}")
        }
        Frame::Map(pairs) => {
            let mut pairs: Vec<String> = pairs
                .into_iter()
                .map(|(k, v)| format!("{}={}", canonical(k), canonical(v)))
                .collect();
            pairs.sort();
            format!("%{pairs:?}")
        }
        Frame::Array(items) => format!("{:?}", items.into_iter().map(canonical).collect::<Vec<_>>()),
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => format!("{other:?}"),
    }
}

fn replica_dataset(node: &mut Node) -> Vec<String> {
    dataset(|db, args| {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        node.call(db, &args, NOW).expect("a read")
    })
}

fn master_dataset(master: &mut Master) -> Vec<String> {
    dataset(|db, args| master.call(db, args))
}

/// Every type, small and large encodings, expiries, in three databases.
fn populate(master: &mut Master) {
    for db in [0, 3, 15] {
        let p = |n: usize| format!("{db}-{n}");
        master.call(db, &["SET", &p(0), "plain"]);
        master.call(db, &["SET", &p(1), "12345"]);
        master.call(db, &["SET", &p(2), "expiring", "PX", "500000"]);
        master.call(db, &["RPUSH", &p(3), "a", "b", "c"]);
        master.call(db, &["HSET", &p(4), "f1", "v1", "f2", "v2"]);
        master.call(db, &["SADD", &p(5), "1", "2", "3"]);
        master.call(db, &["SADD", &p(6), "x", "y"]);
        master.call(db, &["ZADD", &p(7), "1.5", "one", "2", "two"]);
        for i in 0..300 {
            let i = i.to_string();
            master.call(db, &["RPUSH", &p(8), &i]);
            master.call(db, &["HSET", &p(9), &i, &i]);
            master.call(db, &["SADD", &p(10), &format!("m{i}")]);
            master.call(db, &["ZADD", &p(11), &i, &format!("m{i}")]);
        }
    }
}

/// A replica after a full sync of `master`, the snapshot fed in
/// `chunk`-byte pieces.
fn synced(master: &Master, chunk: usize) -> Node {
    let mut replica = node(None);
    let psync = handshake(&mut replica);
    assert!(psync.contains("PSYNC\r\n$1\r\n?\r\n$2\r\n-1"), "{psync}");
    let rdb = master.rdb();
    replica.input(format!("+FULLRESYNC {REPLID} 0\r\n${}\r\n", rdb.len()).as_bytes(), NOW);
    for piece in rdb.chunks(chunk) {
        assert_eq!(replica.status().expect("replica").state, "sync");
        replica.input(piece, NOW);
    }
    let status = replica.status().expect("replica");
    assert_eq!((status.state, status.full_syncs), ("connected", 1));
    replica
}

#[test]
fn full_sync_loads_every_type_in_every_database() {
    let mut master = Master::new();
    populate(&mut master);
    let mut replica = synced(&master, 1000);
    let expected = master_dataset(&mut master);
    assert_eq!(expected.len(), 36);
    assert_eq!(replica_dataset(&mut replica), expected);
    assert_eq!(replica.total_keys(), 36);
    let mut changes = Vec::new();
    replica.take_changes(&mut changes);
    assert_eq!(changes, [], "a snapshot is no change event");
}

#[test]
fn snapshot_in_tiny_pieces() {
    let mut master = Master::new();
    populate(&mut master);
    let mut replica = synced(&master, 7);
    assert_eq!(replica_dataset(&mut replica), master_dataset(&mut master));
}

fn change(db: usize, key: Option<&str>, command: &'static str) -> Change {
    Change {
        db,
        key: key.map(|k| k.as_bytes().to_vec()),
        command,
    }
}

#[test]
fn stream_applies_writes_and_names_their_keys() {
    let mut master = Master::new();
    populate(&mut master);
    let mut replica = synced(&master, 4096);
    master.engine.record_propagation(true);
    master.call(0, &["SET", "new", "v", "EX", "100"]);
    master.call(3, &["HSET", "3-4", "f3", "v3"]);
    master.call(3, &["LPUSH", "3-3", "z"]);
    master.call(0, &["SPOP", "0-6"]);
    master.call(0, &["INCRBYFLOAT", "0-1", "0.5"]);
    master.call(15, &["ZINCRBY", "15-7", "3", "one"]);
    master.call(0, &["MULTI"]);
    master.call(0, &["SADD", "0-5", "4"]);
    master.call(0, &["DEL", "0-0", "0-3"]);
    master.call(0, &["EXEC"]);
    master.call(15, &["RENAME", "15-0", "15-renamed"]);
    master.call(3, &["FLUSHDB"]);
    master.call(0, &["SWAPDB", "0", "3"]);
    let stream = master.stream();
    // The stream arrives in pieces that cut commands anywhere.
    for piece in stream.chunks(5) {
        replica.input(piece, NOW);
    }
    let mut changes = Vec::new();
    replica.take_changes(&mut changes);
    // SPOP arrives as the SREM the master propagated.
    let spop = master_dataset(&mut master);
    assert_eq!(replica_dataset(&mut replica), spop);
    let popped = changes.iter().find(|c| c.command == "srem").expect("srem");
    assert_eq!(popped.key.as_deref(), Some(&b"0-6"[..]));
    let expected = [
        change(0, Some("new"), "set"),
        change(3, Some("3-4"), "hset"),
        change(3, Some("3-3"), "lpush"),
        popped.clone(),
        change(0, Some("0-1"), "set"),
        change(15, Some("15-7"), "zincrby"),
        change(0, Some("0-5"), "sadd"),
        change(0, Some("0-0"), "del"),
        change(0, Some("0-3"), "del"),
        change(15, Some("15-0"), "rename"),
        change(15, Some("15-renamed"), "rename"),
        change(3, None, "flushdb"),
        change(0, None, "swapdb"),
    ];
    assert_eq!(changes, expected);
    let status = replica.status().expect("replica");
    assert_eq!(status.offset, stream.len() as i64);
}

#[test]
fn reconnect_resumes_with_a_partial_resync() {
    let mut master = Master::new();
    populate(&mut master);
    let mut replica = synced(&master, 4096);
    master.engine.record_propagation(true);
    master.call(0, &["SET", "before", "1"]);
    let first = master.stream();
    replica.input(&first, NOW);
    replica.closed(NOW);
    assert_eq!(replica.status().expect("replica").state, "connect");
    let psync = handshake(&mut replica);
    let offset = (first.len() + 1).to_string();
    let asked = format!("$40\r\n{REPLID}\r\n${}\r\n{offset}\r\n", offset.len());
    assert!(psync.ends_with(&asked), "{psync}");
    replica.input(b"+CONTINUE\r\n", NOW);
    // The master's stream continues where the link broke (its SELECT too).
    master.stream_db = None;
    master.call(3, &["SET", "after", "2"]);
    replica.input(&master.stream(), NOW);
    let status = replica.status().expect("replica");
    assert_eq!(
        (status.state, status.full_syncs, status.partial_syncs),
        ("connected", 1, 1)
    );
    assert_eq!(replica_dataset(&mut replica), master_dataset(&mut master));
}

#[test]
fn a_refused_secret_is_reported_and_ends_the_link() {
    let mut replica = node(Some("wrong"));
    replica.connecting(NOW);
    replica.connected(NOW);
    assert!(sent(&mut replica).contains("PING"));
    replica.input(b"-NOAUTH Authentication required.\r\n", NOW);
    assert!(sent(&mut replica).contains("AUTH\r\n$5\r\nwrong"));
    replica.input(
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
        NOW,
    );
    assert!(!replica.wanted());
    let warning = replica.last_warning().expect("a warning");
    assert!(warning.starts_with("Unable to AUTH to MASTER: -WRONGPASS"), "{warning}");
}

#[test]
fn reads_are_read_only() {
    let mut master = Master::new();
    populate(&mut master);
    let mut replica = synced(&master, 4096);
    let refused = replica.call(0, &[b"SET", b"x", b"1"], NOW).expect_err("a write");
    assert!(refused.starts_with("READONLY"), "{refused}");
    let wrong = replica.call(0, &[b"LLEN", b"0-0"], NOW).expect_err("wrong type");
    assert!(wrong.starts_with("WRONGTYPE"), "{wrong}");
    assert_eq!(replica.call(3, &[b"DBSIZE"], NOW), Ok(Frame::Integer(12)));
}

#[test]
fn the_browser_build_has_only_the_reads_its_api_makes() {
    let mut master = Master::new();
    populate(&mut master);
    let mut replica = synced(&master, 4096);
    // STRLEN and ZRANK are read-only: a master never propagates them, and
    // no method of `Replica` sends them. (A native test run shares one
    // vitrine-core with the server, `server` feature on.)
    if cfg!(target_arch = "wasm32") {
        for read in [&[b"STRLEN".as_slice(), b"x"][..], &[b"ZRANK", b"x", b"m"]] {
            let refused = replica.call(0, read, NOW).expect_err("left out");
            assert!(refused.starts_with("ERR unknown command"), "{refused}");
        }
    }
    // Every write stays: the stream may carry any of them.
    master.engine.record_propagation(true);
    master.call(0, &["SETRANGE", "s", "0", "abc"]);
    master.call(0, &["ZADD", "z", "1", "m"]);
    master.call(0, &["SINTERSTORE", "d", "s1"]);
    let stream = master.stream();
    replica.input(&stream, NOW);
    assert_eq!(replica.call(0, &[b"GET", b"s"], NOW), Ok(Frame::Bulk(b"abc".to_vec())));
    assert_eq!(
        replica.call(0, &[b"ZSCORE", b"z", b"m"], NOW),
        Ok(Frame::Double(b"1".to_vec()))
    );
}

/// The JavaScript values the reads return.
#[cfg(target_arch = "wasm32")]
mod js {
    use super::test;
    use crate::convert::to_js;
    use js_sys::{Array, JSON};
    use vitrine_core::resp::frame::Frame;

    fn json(frame: Frame) -> String {
        JSON::stringify(&to_js(frame)).expect("json").as_string().expect("text")
    }

    #[test]
    fn replies_become_plain_values() {
        let bulk = |s: &str| Frame::Bulk(s.as_bytes().to_vec());
        let map = Frame::Map(vec![(bulk("a"), bulk("1")), (bulk("__proto__"), bulk("2"))]);
        assert_eq!(json(map), r#"{"a":"1","__proto__":"2"}"#);
        let pairs = Frame::Array(vec![Frame::Array(vec![bulk("m"), Frame::Double(b"1.5".to_vec())])]);
        assert_eq!(json(pairs), r#"[["m",1.5]]"#);
        assert_eq!(json(Frame::Set(vec![bulk("x")])), r#"["x"]"#);
        assert_eq!(json(Frame::Null), "null");
        assert!(to_js(Frame::Double(b"inf".to_vec())).as_f64() == Some(f64::INFINITY));
        assert!(Array::is_array(&to_js(Frame::Array(vec![]))));
    }

    #[test]
    fn master_address_comes_from_the_url() {
        use crate::master_of;
        assert_eq!(master_of("ws://127.0.0.1:8080/replication"), ("127.0.0.1".into(), 8080));
        assert_eq!(master_of("wss://example.com/replication"), ("example.com".into(), 443));
        assert_eq!(master_of("ws://[::1]:9000/r"), ("::1".into(), 9000));
        assert_eq!(master_of("ws://host"), ("host".into(), 80));
    }
}

#[test]
fn expired_keys_are_hidden_until_the_masters_del() {
    let mut master = Master::new();
    master.call(0, &["SET", "short", "v", "PX", "1000"]);
    let mut replica = synced(&master, 4096);
    let later = NOW + 2000;
    // A replica never expires keys by its clock: reads hide them...
    assert_eq!(replica.call(0, &[b"GET", b"short"], later), Ok(Frame::Null));
    assert_eq!(replica.call(0, &[b"EXISTS", b"short"], later), Ok(Frame::Integer(0)));
    assert_eq!(replica.call(0, &[b"DBSIZE"], later), Ok(Frame::Integer(1)));
    // ...until the master's DEL arrives.
    let mut del = Vec::new();
    encode(&mut del, &[b"SELECT", b"0"]);
    encode(&mut del, &[b"DEL", b"short"]);
    replica.input(&del, later);
    assert_eq!(replica.call(0, &[b"DBSIZE"], later), Ok(Frame::Integer(0)));
    let mut changes = Vec::new();
    replica.take_changes(&mut changes);
    assert_eq!(changes, [change(0, Some("short"), "del")]);
}
