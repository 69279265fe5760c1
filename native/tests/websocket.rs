//! The WebSocket listener against a real WebSocket client (tungstenite,
//! as re-exported by tokio-tungstenite) driving core's `ReplicaLink` and
//! `rdb::load::Loader`, as a browser replica does: a full sync of a dataset
//! of every type equals the master's, live writes arrive in the stream,
//! `CLIENT KILL TYPE replica` is followed by a partial resync, and what a
//! page may not do (write, use the wrong secret, come from a foreign
//! origin, send an oversized frame) is refused.
//!
//! How the replica's keyspace is checked: the loaded keyspace is written
//! as an RDB and loaded by a fresh vitrine (the "mirror"); the stream bytes
//! the link received are then sent to the mirror as plain commands. The
//! mirror's dataset must equal the master's.

mod common;

use common::dataset::{assert_same, Dataset};
use common::link::{Chunk, LinkReplica, Pipe};
use common::repl::{
    info_field, live_writes, populate, run, used_memory, wait_caught_up, wait_for, KEEP_STALLED_REPLICAS,
};
use common::{scratch_dir, Conn, Kind, Server};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocket;
use tokio_tungstenite::tungstenite::{self, Message};
use vitrine_core::config::Config;
use vitrine_core::keyspace::Keyspace;
use vitrine_core::rdb::encoder::{write_keyspace, Aux, SaveOptions};
use vitrine_core::repl::link::State;
use vitrine_core::repl::{LinkConfig, ReplId};

/// A vitrine master with its WebSocket listener on a free port.
fn master(extra: &[&str]) -> (Server, u16) {
    let ws_port = common::free_port();
    let port = ws_port.to_string();
    let mut args = vec!["--websocket-port", &port, "--repl-diskless-sync-delay", "0"];
    args.extend_from_slice(extra);
    let server = Server::start(Kind::Vitrine, &args);
    (server, ws_port)
}

/// Opens `ws://127.0.0.1:port/path` with `origin`; a refused handshake
/// gives the HTTP status as `Err`.
fn open(port: u16, path: &str, origin: Option<&str>) -> Result<WebSocket<TcpStream>, u16> {
    let mut request = format!("ws://127.0.0.1:{port}{path}")
        .into_client_request()
        .expect("a request");
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().expect("a header value"));
    }
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    match tungstenite::client::client(request, stream) {
        Ok((socket, _response)) => {
            socket
                .get_ref()
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            Ok(socket)
        }
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            Err(response.status().as_u16())
        }
        Err(other) => panic!("the handshake failed: {other}"),
    }
}

/// A WebSocket as the replica's pipe: binary frames both ways.
struct Ws(WebSocket<TcpStream>);

impl Pipe for Ws {
    fn send(&mut self, bytes: &[u8]) -> bool {
        self.0.send(Message::Binary(bytes.to_vec().into())).is_ok()
    }

    fn receive(&mut self) -> Chunk {
        match self.0.read() {
            Ok(Message::Binary(bytes)) => Chunk::Bytes(bytes.to_vec()),
            Ok(Message::Close(_)) => Chunk::Closed,
            Ok(_) => Chunk::Nothing,
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                Chunk::Nothing
            }
            Err(_) => Chunk::Closed,
        }
    }
}

/// A browser replica: core's link over a WebSocket.
type WsReplica = LinkReplica<Ws>;

fn browser(port: u16, password: Option<&str>, resume: Option<(ReplId, i64)>) -> WsReplica {
    let socket = open(port, "/replication", None).expect("the upgrade");
    let config = LinkConfig {
        masterauth: password.map(|p| p.as_bytes().to_vec()),
        timeout_ms: 60_000,
        resume,
        ..LinkConfig::default()
    };
    LinkReplica::new(Ws(socket), config)
}

/// A vitrine loading `keyspace` from an RDB: the replica's data, readable
/// with commands.
fn mirror(keyspace: &Keyspace) -> Server {
    let dir = scratch_dir("ws-mirror");
    let aux = Aux {
        redis_ver: "7.0.15",
        ctime: 0,
        used_mem: 0,
        replication: None,
        aof_base: false,
    };
    let options = SaveOptions::from_config(&Config::new());
    let Ok(bytes) = write_keyspace(keyspace, &aux, options, Vec::new(), || {});
    std::fs::write(dir.join("dump.rdb"), bytes).expect("write the dump");
    Server::start_in(Kind::Vitrine, None, dir, &["--save", "", "--appendonly", "no"])
}

/// Sends stream bytes to `conn` as commands and waits until it ran them.
fn replay(conn: &mut Conn, stream: &[u8]) {
    conn.send_raw(stream);
    conn.send(&[b"ECHO", b"replayed"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while conn.read_reply() != b"$8\r\nreplayed\r\n" {
        assert!(Instant::now() < deadline, "the replay never finished");
    }
}

fn master_offset(conn: &mut Conn) -> i64 {
    info_field(conn, "replication", "master_repl_offset").parse().unwrap()
}

/// Reconnects a tab that was cut off where it left: a partial resync, the
/// master's only full sync being the first one. Returns the new link,
/// caught up with the master behind `conn`.
fn resume_partially(ws_port: u16, tab: &WsReplica, conn: &mut Conn) -> WsReplica {
    let resume = tab.link.resume_point().expect("a resume point");
    let mut again = browser(ws_port, None, Some(resume));
    again.catch_up(master_offset(conn));
    assert!(
        again.log.iter().any(|e| e == "Continue { new_replid: None }"),
        "{:?}",
        again.log
    );
    assert_eq!(info_field(conn, "stats", "sync_full"), "1");
    assert_eq!(info_field(conn, "stats", "sync_partial_ok"), "1");
    again
}

/// Full sync from `ws_port` of what `source` holds (its dataset read by
/// `conn`), three rounds of live writes through `writer`, all checked on a
/// mirror; `stream_offset` reads the offset the browser must reach.
fn sync_and_follow(
    ws_port: u16,
    conn: &mut Conn,
    writer: &mut Conn,
    mut stream_offset: impl FnMut() -> i64,
) -> (WsReplica, Server) {
    let mut replica = browser(ws_port, None, None);
    replica.pump_until("the stream", |r| r.link.state() == State::Connected);
    assert!(
        replica.log.iter().any(|e| e.starts_with("FullResync")),
        "{:?}",
        replica.log
    );
    assert!(
        replica.log.iter().any(|e| e == "RdbStart { size: None }"),
        "diskless: {:?}",
        replica.log
    );
    let copy = mirror(&replica.keyspace);
    assert_same(
        &Dataset::read_port(copy.port).normalized(),
        "browser replica",
        &Dataset::read(conn).normalized(),
        "source",
    );
    for round in 0..3 {
        live_writes(writer, round);
    }
    let offset = stream_offset();
    replica.catch_up(offset);
    replay(&mut copy.connect(), &replica.stream);
    assert_same(
        &Dataset::read_port(copy.port).normalized(),
        "browser replica",
        &Dataset::read(conn).normalized(),
        "source",
    );
    (replica, copy)
}

#[test]
fn full_sync_of_every_type_live_writes_and_partial_resync() {
    let (master, ws_port) = master(&[]);
    let mut conn = master.connect();
    populate(&mut conn);
    let mut offsets = master.connect();
    let (mut replica, copy) = sync_and_follow(ws_port, &mut conn, &mut master.connect(), || {
        master_offset(&mut offsets)
    });

    // Counted apart from TCP replicas, but a replica client all the same.
    wait_for("the browser replica counted", Duration::from_secs(10), || {
        replica.pump();
        info_field(&mut conn, "replication", "browser_replicas") == "1"
    });
    assert_eq!(info_field(&mut conn, "replication", "connected_slaves"), "0");
    assert_eq!(info_field(&mut conn, "replication", "slave0"), "");
    let list = String::from_utf8(conn.cmd(&["CLIENT", "LIST", "TYPE", "replica"])).unwrap();
    assert!(list.contains(" flags=S "), "{list}");

    // Cut off: the tab resumes where it was, without a new snapshot.
    assert_eq!(conn.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), b":1\r\n");
    run(
        &mut conn,
        &[&["SET", "while-away", "1"], &["HSET", "bighash", "new", "field"]],
    );
    replica.pump_until_closed();
    let again = resume_partially(ws_port, &replica, &mut conn);
    replay(&mut copy.connect(), &again.stream);
    assert_same(
        &Dataset::read_port(copy.port).normalized(),
        "browser replica",
        &Dataset::read(&mut conn).normalized(),
        "master",
    );
}

#[test]
fn a_vitrine_replica_of_redis_serves_browser_replicas() {
    if !common::redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    serves_browser_replicas_as_a_replica_of(Kind::Redis);
}

#[test]
fn a_vitrine_replica_of_vitrine_serves_browser_replicas() {
    serves_browser_replicas_as_a_replica_of(Kind::Vitrine);
}

/// A vitrine replica of an `upstream` master, with its WebSocket port on:
/// a tab syncs from it and follows the writes made upstream.
fn serves_browser_replicas_as_a_replica_of(upstream: Kind) {
    let upstream = Server::start(upstream, &[]);
    let mut writer = upstream.connect();
    populate(&mut writer);
    let upstream_port = upstream.port.to_string();
    let (vitrine, ws_port) = master(&["--replicaof", "127.0.0.1", &upstream_port]);
    wait_caught_up(&upstream, &vitrine);
    let mut offsets = upstream.connect();
    let (_replica, _copy) = sync_and_follow(ws_port, &mut vitrine.connect(), &mut writer, || {
        wait_caught_up(&upstream, &vitrine);
        master_offset(&mut offsets)
    });
}

/// Sends one command in a binary frame and reads the reply frame.
fn command(socket: &mut WebSocket<TcpStream>, args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    socket
        .send(Message::Binary(common::encode(&args).into()))
        .expect("send");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match socket.read() {
            Ok(Message::Binary(bytes)) => return bytes.to_vec(),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(tungstenite::Error::Io(_)) if Instant::now() < deadline => {}
            Err(error) => panic!("no reply: {error}"),
        }
    }
}

/// Reads until the server closes; the close frame's code, if any.
fn closed_with(socket: &mut WebSocket<TcpStream>) -> Option<u16> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match socket.read() {
            Ok(Message::Close(frame)) => return frame.map(|f| f.code.into()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                assert!(Instant::now() < deadline, "the server kept the connection open");
            }
            Err(_) => return None,
        }
    }
}

/// A raw HTTP GET: the status line and the whole response.
fn http_get(port: u16, path: &str) -> String {
    http_get_with(port, path, "")
}

/// A raw HTTP GET with `headers` (each line ending in CRLF) added.
fn http_get_with(port: u16, path: &str, headers: &str) -> String {
    http_request(port, "GET", path, headers)
}

/// A raw HTTP request: the status line and the whole response.
fn http_request(port: u16, method: &str, path: &str, headers: &str) -> String {
    http_request_to("127.0.0.1", port, method, path, headers)
}

/// [`http_request`] to `host` (a loopback address).
fn http_request_to(host: &str, port: u16, method: &str, path: &str, headers: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect((host, port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("the server closes after its response");
    String::from_utf8_lossy(&response).into_owned()
}

/// `websocket-bind` decides where the page and `/replication` listen;
/// 127.0.0.2 is the loopback interface, as 127.0.0.1 is.
#[test]
fn websocket_bind_chooses_the_listening_address() {
    let (_master, ws_port) = master(&["--websocket-bind", "127.0.0.2"]);
    let response = http_request_to("127.0.0.2", ws_port, "GET", "/", "");
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        response.lines().next().unwrap_or_default()
    );
    // The listener is up, and only there.
    let refused = TcpStream::connect(("127.0.0.1", ws_port)).map_err(|e| e.kind());
    assert_eq!(refused.err(), Some(std::io::ErrorKind::ConnectionRefused));
}

#[test]
fn what_a_page_may_not_do_is_refused() {
    let (master, ws_port) = master(&[
        "--requirepass",
        "master",
        "--websocket-requirepass",
        "tab",
        "--repl-diskless-sync",
        "no",
    ]);
    let mut conn = master.connect();
    assert_eq!(conn.cmd(&["AUTH", "master"]), b"+OK\r\n");
    run(&mut conn, &[&["SET", "k", "v"]]);

    // The dashboard page, and nothing else, over plain HTTP.
    let page = http_get(ws_port, "/");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("Content-Type: text/html"), "{page}");
    assert!(page.contains("<html"), "{page}");
    assert!(http_get(ws_port, "/nothing-here").starts_with("HTTP/1.1 404 "));
    // A file revalidates with its ETag: 304 and no body while it is the
    // same, the file again for any other tag.
    let wasm = http_get(ws_port, "/vitrine_web_bg.wasm");
    let etag = wasm
        .lines()
        .find_map(|line| line.strip_prefix("ETag: "))
        .expect("an ETag")
        .to_string();
    assert!(wasm.starts_with("HTTP/1.1 200 OK\r\n") && wasm.contains("Cache-Control: no-cache"));
    let same = http_get_with(ws_port, "/vitrine_web_bg.wasm", &format!("If-None-Match: {etag}\r\n"));
    assert!(same.starts_with("HTTP/1.1 304 Not Modified\r\n"), "{same}");
    assert!(same.ends_with("\r\n\r\n") && !same.contains("Content-Length"), "{same}");
    let other = http_get_with(ws_port, "/vitrine_web_bg.wasm", "If-None-Match: \"0\", W/\"1\"\r\n");
    assert!(other.starts_with("HTTP/1.1 200 OK\r\n") && other.len() > 100_000);
    let page = http_get_with(ws_port, "/", &format!("If-None-Match: {etag}\r\n"));
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "another file's tag");
    assert!(http_get(ws_port, "/replication").starts_with("HTTP/1.1 426 "));
    // HEAD: GET's head (the file's length and ETag), no body.
    let head = http_request(ws_port, "HEAD", "/vitrine_web_bg.wasm", "");
    let get_head = &wasm[..wasm.find("\r\n\r\n").expect("a head") + 4];
    assert_eq!(head, get_head);
    let missing = http_request(ws_port, "HEAD", "/nothing-here", "");
    assert!(
        missing.starts_with("HTTP/1.1 404 ") && missing.ends_with("\r\n\r\n"),
        "{missing}"
    );
    let post = http_request(ws_port, "POST", "/", "Content-Length: 0\r\n");
    assert!(
        post.starts_with("HTTP/1.1 405 ") && post.contains("Allow: GET, HEAD\r\n"),
        "{post}"
    );

    // Origins: none (a tool) and the page's own pass; a foreign one gets 403.
    assert_eq!(
        open(ws_port, "/replication", Some("http://evil.example")).err(),
        Some(403)
    );
    // Listed at run time, it passes.
    let origins = "http://evil.example https://app.example";
    assert_eq!(
        conn.cmd(&["CONFIG", "SET", "websocket-allowed-origins", origins]),
        b"+OK\r\n"
    );
    open(ws_port, "/replication", Some("http://evil.example")).expect("listed origin");
    let own = format!("http://127.0.0.1:{ws_port}");
    let mut socket = open(ws_port, "/replication", Some(&own)).expect("same origin");

    // The secret is websocket-requirepass, never requirepass.
    assert!(command(&mut socket, &["PING"]).starts_with(b"-NOAUTH "));
    assert!(command(&mut socket, &["SET", "k", "page"]).starts_with(b"-NOAUTH "));
    assert!(command(&mut socket, &["AUTH", "master"]).starts_with(b"-WRONGPASS "));
    assert!(command(&mut socket, &["AUTH", "wrong"]).starts_with(b"-WRONGPASS "));
    assert_eq!(command(&mut socket, &["AUTH", "tab"]), b"+OK\r\n");
    assert_eq!(command(&mut socket, &["PING"]), b"+PONG\r\n");

    // Authenticated, it still cannot write or reconfigure anything.
    for write in [
        &["SET", "k", "page"][..],
        &["DEL", "k"],
        &["FLUSHALL"],
        &["CONFIG", "SET", "requirepass", ""],
        &["EVAL", "return 1", "0"],
        &["MULTI"],
    ] {
        let reply = command(&mut socket, write);
        assert!(
            reply.starts_with(b"-"),
            "{write:?}: {}",
            String::from_utf8_lossy(&reply)
        );
    }
    assert_eq!(conn.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    assert_eq!(conn.cmd(&["DBSIZE"]), b":1\r\n");

    // A link with the wrong secret fails its handshake.
    let mut wrong = browser(ws_port, Some("master"), None);
    wrong.pump_until_closed();
    assert!(wrong.log.iter().any(|e| e.contains("AuthError")), "{:?}", wrong.log);
    // The right one syncs.
    let mut right = browser(ws_port, Some("tab"), None);
    right.pump_until("the stream", |r| r.link.state() == State::Connected);
    assert_eq!(right.keyspace.total_keys(), 1);
    // Diskless although the master syncs TCP replicas from disk: a tab
    // never makes it write a dump.
    assert!(
        right.log.iter().any(|e| e == "RdbStart { size: None }"),
        "{:?}",
        right.log
    );
    assert!(!master.dir.join("dump.rdb").exists());

    // An oversized frame closes the connection (1009: message too big).
    let big = vec![b'x'; 100 * 1024];
    let _ = socket.send(Message::Binary(big.into()));
    assert_eq!(closed_with(&mut socket), Some(1009));
    // A text frame too (1003: binary only).
    let mut texting = open(ws_port, "/replication", None).expect("upgrade");
    let _ = texting.send(Message::Text("PING\r\n".into()));
    assert_eq!(closed_with(&mut texting), Some(1003));
    assert_eq!(conn.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
}

#[test]
fn a_slow_tab_is_cut_off_then_resumes_and_tabs_are_capped() {
    let (master, ws_port) = master(&[
        "--client-output-buffer-limit",
        "replica 262144 131072 10",
        "--repl-backlog-size",
        "64mb",
        "--websocket-maxclients",
        "1",
    ]);
    let mut conn = master.connect();
    populate(&mut conn);
    let mut tab = browser(ws_port, None, None);
    tab.pump_until("the stream", |r| r.link.state() == State::Connected);
    tab.catch_up(master_offset(&mut conn));
    // The only slot is taken: the next tab is turned away.
    assert_eq!(open(ws_port, "/replication", None).err(), Some(503));

    // The tab stops reading; writes pile up past its output limit.
    let value = "v".repeat(10 * 1024);
    for i in 0..2000 {
        run(&mut conn, &[&["SET", &format!("bulk:{}", i % 50), &value]]);
    }
    wait_for("the slow tab to be cut off", Duration::from_secs(20), || {
        conn.cmd(&["CLIENT", "LIST", "TYPE", "replica"]) == b"$0\r\n\r\n"
    });
    assert!(
        master
            .log()
            .contains("scheduled to be closed ASAP for overcoming of output buffer limits"),
        "{}",
        master.log()
    );
    tab.pump_until_closed();
    // It comes back for what it missed only.
    resume_partially(ws_port, &tab, &mut conn);
}

#[test]
fn ten_stalled_tabs_share_one_copy_of_the_stream() {
    let (master, ws_port) = master(&KEEP_STALLED_REPLICAS);
    let mut conn = master.connect();
    run(&mut conn, &[&["SET", "seed", "1"]]);
    let mut tabs: Vec<WsReplica> = (0..10)
        .map(|_| {
            let mut tab = browser(ws_port, None, None);
            tab.pump_until("the stream", |r| r.link.state() == State::Connected);
            tab
        })
        .collect();
    assert_eq!(info_field(&mut conn, "replication", "browser_replicas"), "10");
    let before = used_memory(&mut conn);
    // About 30 MB of stream that no tab reads, over four keys (the data
    // hardly grows).
    let value = "x".repeat(100 * 1024);
    for i in 0..300 {
        run(&mut conn, &[&["SET", &format!("stream:{}", i % 4), &value]]);
    }
    let grown = used_memory(&mut conn) - before;
    // One copy (30 MB) for the ten, not ten (300 MB).
    assert!(grown < 60 << 20, "ten stalled tabs grew used_memory by {grown} bytes");
    assert!(grown > 20 << 20, "the stream was not held for the tabs: {grown} bytes");
    // They read again: each gets the whole stream.
    let offset = master_offset(&mut conn);
    for tab in &mut tabs {
        tab.catch_up(offset);
    }
    let histlen: i64 = info_field(&mut conn, "replication", "repl_backlog_histlen")
        .parse()
        .expect("histlen");
    run(&mut conn, &[&["SET", "after", "1"]]);
    let trimmed: i64 = info_field(&mut conn, "replication", "repl_backlog_histlen")
        .parse()
        .expect("histlen");
    assert!(
        trimmed < 2 << 20,
        "histlen {histlen}, then {trimmed} after every tab caught up"
    );
}

#[test]
fn past_maxclients_a_tab_reads_redis_refusal_then_the_close() {
    let (master, ws_port) = master(&["--maxclients", "2"]);
    let mut conn = master.connect();
    // The start-up check's connection may still be closing.
    wait_for("only this client connected", Duration::from_secs(10), || {
        String::from_utf8_lossy(&conn.cmd(&["CLIENT", "LIST"]))
            .matches("id=")
            .count()
            == 1
    });
    let mut first = open(ws_port, "/replication", None).expect("upgrade");
    assert_eq!(command(&mut first, &["PING"]), b"+PONG\r\n");
    let mut second = open(ws_port, "/replication", None).expect("upgrade");
    let deadline = Instant::now() + Duration::from_secs(10);
    let refusal = loop {
        match second.read() {
            Ok(Message::Binary(bytes)) => break bytes.to_vec(),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => assert!(Instant::now() < deadline, "no refusal"),
        }
    };
    assert_eq!(refusal, b"-ERR max number of clients reached\r\n");
    assert_eq!(closed_with(&mut second), Some(1008));
}

#[test]
fn tabs_arriving_together_share_one_snapshot() {
    let (master, ws_port) = master(&[
        "--repl-diskless-sync-delay",
        "5",
        "--repl-diskless-sync-max-replicas",
        "3",
    ]);
    let mut conn = master.connect();
    populate(&mut conn);
    let mut tabs: Vec<WsReplica> = (0..3).map(|_| browser(ws_port, None, None)).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tabs.iter().any(|t| t.link.state() != State::Connected) {
        assert!(Instant::now() < deadline, "the tabs never synced");
        for tab in &mut tabs {
            tab.pump();
        }
    }
    assert_eq!(info_field(&mut conn, "stats", "sync_full"), "3");
    assert_eq!(info_field(&mut conn, "stats", "total_forks"), "1");
}
