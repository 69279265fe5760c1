//! A replica made of core's `ReplicaLink` and `rdb::load::Loader` over any
//! byte pipe (a TCP socket, a WebSocket): it loads the master's RDB into a
//! `Keyspace` and collects the command stream, as the native and browser
//! replicas do without the engine applying the stream.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use vitrine_core::config::Config;
use vitrine_core::keyspace::Keyspace;
use vitrine_core::rdb::load::Loader;
use vitrine_core::rdb::LoadOptions;
use vitrine_core::repl::{Event, LinkConfig, ReplicaLink};

/// What a pipe read gave.
pub enum Chunk {
    /// Bytes from the master.
    Bytes(Vec<u8>),
    /// Nothing within the pipe's short wait.
    Nothing,
    /// The master closed the connection.
    Closed,
}

/// A connection to a master carrying the replica protocol's bytes.
pub trait Pipe {
    /// Sends `bytes`; `false` when the connection is gone.
    fn send(&mut self, bytes: &[u8]) -> bool;
    /// Waits briefly for bytes.
    fn receive(&mut self) -> Chunk;
}

impl Pipe for TcpStream {
    fn send(&mut self, bytes: &[u8]) -> bool {
        self.write_all(bytes).is_ok()
    }

    fn receive(&mut self) -> Chunk {
        let mut buf = [0u8; 16 * 1024];
        match self.read(&mut buf) {
            Ok(0) => Chunk::Closed,
            Ok(n) => Chunk::Bytes(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Chunk::Nothing,
            Err(_) => Chunk::Closed,
        }
    }
}

/// Connects a TCP pipe to 127.0.0.1:`port`, reads waiting 50 ms.
pub fn tcp(port: u16) -> TcpStream {
    let socket = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    socket.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    socket
}

/// What a link loaded and received.
pub struct Received {
    /// The RDB loaded.
    pub keyspace: Keyspace,
    loader: Option<Loader>,
    /// The command stream received, verbatim.
    pub stream: Vec<u8>,
    /// Every event but data chunks, in `Debug` form.
    pub log: Vec<String>,
    /// The link failed or the connection closed.
    pub closed: bool,
}

impl Received {
    /// Acts on one event.
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
                        assert!(done.is_done(), "the RDB ended early");
                        done.finish().expect("the RDB is whole");
                    }
                    Event::Failed(_) => self.closed = true,
                    _ => {}
                }
            }
        }
    }
}

/// The link over its pipe, and what it loaded and received (read through
/// `Deref`).
pub struct LinkReplica<P: Pipe> {
    /// The connection.
    pub pipe: P,
    /// Core's replica side of the protocol.
    pub link: ReplicaLink,
    start: Instant,
    received: Received,
}

impl<P: Pipe> std::ops::Deref for LinkReplica<P> {
    type Target = Received;
    fn deref(&self) -> &Received {
        &self.received
    }
}

impl<P: Pipe> LinkReplica<P> {
    /// A link starting its handshake over `pipe`.
    pub fn new(pipe: P, config: LinkConfig) -> Self {
        let mut link = ReplicaLink::new(config);
        link.handle_connected(0);
        LinkReplica {
            pipe,
            link,
            start: Instant::now(),
            received: Received {
                keyspace: Keyspace::new(16),
                loader: None,
                stream: Vec::new(),
                log: Vec::new(),
                closed: false,
            },
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.link.poll_event() {
            self.received.handle(event);
        }
    }

    fn send_output(&mut self) {
        let mut out = Vec::new();
        if self.link.poll_output(&mut out) && !self.received.closed && !self.pipe.send(&out) {
            self.received.closed = true;
        }
    }

    /// Moves bytes both ways once.
    pub fn pump(&mut self) {
        let now = self.start.elapsed().as_millis() as i64;
        self.drain_events();
        self.send_output();
        match self.pipe.receive() {
            Chunk::Bytes(bytes) => {
                let mut input = self.link.handle_input(now, &bytes);
                while let Some(event) = input.next_event() {
                    self.received.handle(event);
                }
            }
            Chunk::Nothing => {}
            Chunk::Closed if !self.received.closed => {
                self.received.closed = true;
                self.link.handle_closed();
            }
            Chunk::Closed => {}
        }
        if !self.received.closed {
            self.link.handle_timeout(now);
        }
        self.drain_events();
        self.send_output();
    }

    /// Pumps until `done`; panics after 20 s, or if the link closes first.
    pub fn pump_until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; events: {:?}",
                self.log
            );
            assert!(
                !self.closed,
                "the link closed while waiting for {what}; events: {:?}",
                self.log
            );
            self.pump();
        }
    }

    /// Pumps until the connection closes (reading what is still on its
    /// way); panics after 20 s.
    pub fn pump_until_closed(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.received.closed {
            assert!(
                Instant::now() < deadline,
                "the connection stayed open; events: {:?}",
                self.log
            );
            self.pump();
        }
    }

    /// Pumps until the link received the stream up to `offset`, reports it
    /// all applied (the engine would apply each command) and acknowledges.
    pub fn catch_up(&mut self, offset: i64) {
        self.pump_until("the stream to reach the master's offset", |r| {
            r.link.read_reploff() >= offset
        });
        self.apply_all_and_ack();
    }

    /// Reports everything received as applied and sends `REPLCONF ACK`.
    pub fn apply_all_and_ack(&mut self) {
        let applied = (self.link.read_reploff() - self.link.reploff()) as usize;
        self.link.handle_applied(applied);
        self.link.send_ack();
        self.pump();
    }
}
