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
use common::repl::{info_field, live_writes, populate, wait_for};
use common::{scratch_dir, Conn, Kind, Server};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocket;
use tokio_tungstenite::tungstenite::{self, Message};
use vitrine_core::config::Config;
use vitrine_core::keyspace::Keyspace;
use vitrine_core::rdb::encoder::{write_keyspace, Aux, SaveOptions};
use vitrine_core::rdb::load::Loader;
use vitrine_core::rdb::LoadOptions;
use vitrine_core::repl::link::State;
use vitrine_core::repl::{Event, LinkConfig, ReplicaLink};

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

/// A browser replica: a WebSocket, core's link, the keyspace it loads and
/// the stream it receives.
struct WsReplica {
    socket: WebSocket<TcpStream>,
    link: ReplicaLink,
    start: Instant,
    keyspace: Keyspace,
    loader: Option<Loader>,
    stream: Vec<u8>,
    log: Vec<String>,
    closed: bool,
}

impl WsReplica {
    fn connect(port: u16, config: LinkConfig) -> WsReplica {
        let socket = open(port, "/replication", None).expect("the upgrade");
        let mut link = ReplicaLink::new(config);
        link.handle_connected(0);
        WsReplica {
            socket,
            link,
            start: Instant::now(),
            keyspace: Keyspace::new(16),
            loader: None,
            stream: Vec::new(),
            log: Vec::new(),
            closed: false,
        }
    }

    fn config(password: Option<&str>) -> LinkConfig {
        LinkConfig {
            masterauth: password.map(|p| p.as_bytes().to_vec()),
            timeout_ms: 60_000,
            ..LinkConfig::default()
        }
    }

    fn handle(&mut self, event: Event<'_>) {
        match event {
            Event::RdbChunk(bytes) => {
                let loader = self.loader.as_mut().expect("RdbStart first");
                loader.feed(&mut self.keyspace, bytes).expect("the RDB loads");
            }
            Event::Stream(bytes) => self.stream.extend_from_slice(bytes),
            other => {
                self.log.push(format!("{other:?}"));
                match other {
                    Event::RdbStart { size } => {
                        let options = LoadOptions::from_config(&Config::new());
                        self.loader = Some(Loader::new(options, 0, false, size));
                    }
                    Event::RdbEnd => {
                        let done = self.loader.take().expect("RdbStart first");
                        done.finish().expect("the RDB is whole");
                    }
                    Event::Failed(_) => self.closed = true,
                    _ => {}
                }
            }
        }
    }

    fn send_output(&mut self) {
        let mut out = Vec::new();
        if self.link.poll_output(&mut out) && !self.closed && self.socket.send(Message::Binary(out.into())).is_err() {
            self.closed = true;
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.link.poll_event() {
            self.handle(event);
        }
    }

    /// Moves bytes both ways once.
    fn pump(&mut self) {
        let now = self.start.elapsed().as_millis() as i64;
        self.drain_events();
        self.send_output();
        match self.socket.read() {
            Ok(Message::Binary(bytes)) => {
                let mut events = Vec::new();
                let mut input = self.link.handle_input(now, &bytes);
                // Events borrow the input: collect what they carry first.
                while let Some(event) = input.next_event() {
                    events.push(owned(event));
                }
                for event in events {
                    self.handle_owned(event);
                }
            }
            Ok(Message::Close(_)) => self.close(),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => self.close(),
        }
        if !self.closed {
            self.link.handle_timeout(now);
        }
        self.drain_events();
        self.send_output();
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.link.handle_closed();
            self.drain_events();
        }
    }

    fn pump_until(&mut self, what: &str, mut done: impl FnMut(&WsReplica) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; events: {:?}",
                self.log
            );
            assert!(
                !self.closed || what.contains("close"),
                "closed while waiting for {what}: {:?}",
                self.log
            );
            self.pump();
        }
    }

    /// Pumps until the link applied everything the master streamed up to
    /// `offset` (the engine would apply each command: report them applied)
    /// and acknowledged it.
    fn catch_up(&mut self, offset: i64) {
        self.pump_until("the stream to reach the master's offset", |r| {
            r.link.read_reploff() >= offset
        });
        let applied = (self.link.read_reploff() - self.link.reploff()) as usize;
        self.link.handle_applied(applied);
        self.link.send_ack();
        self.pump();
    }

    fn handle_owned(&mut self, event: OwnedEvent) {
        match event {
            OwnedEvent::Chunk(bytes) => self.handle(Event::RdbChunk(&bytes)),
            OwnedEvent::Stream(bytes) => self.handle(Event::Stream(&bytes)),
            OwnedEvent::Other(event) => self.handle(event),
        }
    }
}

/// An event detached from the input it borrowed.
enum OwnedEvent {
    Chunk(Vec<u8>),
    Stream(Vec<u8>),
    Other(Event<'static>),
}

fn owned(event: Event<'_>) -> OwnedEvent {
    match event {
        Event::RdbChunk(bytes) => OwnedEvent::Chunk(bytes.to_vec()),
        Event::Stream(bytes) => OwnedEvent::Stream(bytes.to_vec()),
        Event::Connected => OwnedEvent::Other(Event::Connected),
        Event::Handshake(step) => OwnedEvent::Other(Event::Handshake(step)),
        Event::FullResync { replid, offset } => OwnedEvent::Other(Event::FullResync { replid, offset }),
        Event::RdbStart { size } => OwnedEvent::Other(Event::RdbStart { size }),
        Event::RdbEnd => OwnedEvent::Other(Event::RdbEnd),
        Event::Continue { new_replid } => OwnedEvent::Other(Event::Continue { new_replid }),
        Event::Failed(failure) => OwnedEvent::Other(Event::Failed(failure)),
    }
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

#[test]
fn full_sync_of_every_type_then_live_writes() {
    let (master, ws_port) = master(&[]);
    let mut conn = master.connect();
    populate(&mut conn);

    let mut replica = WsReplica::connect(ws_port, WsReplica::config(None));
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
    let expected = Dataset::read(&mut conn);
    let copy = mirror(&replica.keyspace);
    assert_same(&Dataset::read_port(copy.port), "browser replica", &expected, "master");

    // Counted apart from TCP replicas, but a replica client all the same.
    wait_for("the browser replica online", Duration::from_secs(10), || {
        replica.pump();
        info_field(&mut conn, "replication", "browser_replicas") == "1"
    });
    assert_eq!(info_field(&mut conn, "replication", "connected_slaves"), "0");
    assert_eq!(info_field(&mut conn, "replication", "slave0"), "");
    let list = String::from_utf8(conn.cmd(&["CLIENT", "LIST", "TYPE", "replica"])).unwrap();
    assert!(list.contains(" flags=S "), "{list}");

    for round in 0..3 {
        live_writes(&mut conn, round);
    }
    let offset = master_offset(&mut conn);
    replica.catch_up(offset);
    let mut copy_conn = copy.connect();
    replay(&mut copy_conn, &replica.stream);
    assert_same(
        &Dataset::read_port(copy.port).normalized(),
        "browser replica",
        &Dataset::read(&mut conn).normalized(),
        "master",
    );
}
