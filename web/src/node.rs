//! The replica itself, without the browser: core's [`Engine`] in the
//! replica role, a local client that runs the reads, and the change
//! events derived from what the master's stream applied. The
//! JavaScript class ([`crate::Replica`]) only moves bytes between this and
//! a WebSocket; tests drive it with bytes alone.

use std::cell::RefCell;
use std::rc::Rc;
use vitrine_core::cmd::parse::is;
use vitrine_core::cmd::server::key_positions;
use vitrine_core::config::{Config, Id, Source};
use vitrine_core::engine::client::ConnInfo;
use vitrine_core::engine::replica::ReplicaStatus;
use vitrine_core::engine::{ClientHandle, Engine, Host, HostInfo};
use vitrine_core::resp::frame::{self, Frame, FrameLimits};

/// One key a write of the master touched (or none: `FLUSHDB`, `SWAPDB`…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The database the command ran in.
    pub db: usize,
    /// The key, `None` for a command without keys.
    pub key: Option<Vec<u8>>,
    /// The command's name as the command table spells it (`hset`,
    /// `client|kill`).
    pub command: &'static str,
}

/// Where the engine's log lines go: Redis's level (0 debug … 3 warning)
/// and the line.
pub type LogSink = Box<dyn FnMut(u8, &str)>;

/// The host of a browser engine: no files, no processes; the log goes to
/// a callback (the console) and warnings are kept, so that a refusal
/// ("Unable to AUTH to MASTER: …") can be shown to the person.
pub struct BrowserHost {
    log: LogSink,
    clock: fn() -> i64,
    last_warning: Rc<RefCell<Option<String>>>,
}

impl Host for BrowserHost {
    fn apply_config(&mut self, _config: &mut Config, _changed: &[Id]) -> Result<(), String> {
        Ok(())
    }

    fn info(&self) -> HostInfo {
        HostInfo {
            executable: "vitrine-web".into(),
            allocator: "libc".into(),
            os: "browser wasm32".into(),
            arch_bits: 32,
            multiplexing_api: "websocket".into(),
            ..HostInfo::default()
        }
    }

    fn log(&mut self, level: u8, message: &str) {
        if level >= 3 {
            *self.last_warning.borrow_mut() = Some(message.to_string());
        }
        (self.log)(level, message);
    }

    fn monotonic_us(&self) -> u64 {
        ((self.clock)().max(0) as u64).saturating_mul(1000)
    }

    fn unix_time_us(&self) -> i64 {
        (self.clock)().saturating_mul(1000)
    }

    fn rewrite_config(&mut self, _config: &Config) -> Result<(), String> {
        Err("The server is running without a config file".into())
    }
}

/// How the replica reaches its master and what it logs.
pub struct NodeConfig {
    /// The master's host and port as `INFO replication` shows them (the
    /// WebSocket URL's).
    pub master: (String, u16),
    /// `AUTH` secret (the server's `websocket-requirepass`).
    pub password: Option<String>,
    /// Random bytes (hash seeds, run id).
    pub seed: [u8; 32],
    /// The log sink: level (Redis's 0–3) and line.
    pub log: LogSink,
    /// Unix milliseconds.
    pub clock: fn() -> i64,
}

/// The engine in the replica role plus the local reading client.
pub struct Node {
    engine: Engine,
    reader: ClientHandle,
    reader_db: usize,
    /// The generation of the master choice the current connection serves.
    generation: u64,
    last_warning: Rc<RefCell<Option<String>>>,
    /// Reused buffer for the reader's requests.
    request: Vec<u8>,
}

/// Reply frames are from our own engine; these limits only keep the parser
/// honest.
const FRAME_LIMITS: FrameLimits = FrameLimits {
    max_bulk_len: 512 * 1024 * 1024,
    max_elements: 1 << 31,
    max_depth: 32,
};

impl Node {
    /// A replica of `config.master` that has not connected yet. `Err`
    /// when the engine refuses the local reading client.
    pub fn new(config: NodeConfig) -> Result<Node, String> {
        let now = (config.clock)();
        let last_warning = Rc::new(RefCell::new(None));
        let mut settings = Config::new();
        let port = config.master.1.to_string();
        let set = |settings: &mut Config, id: Id, args: &[&[u8]]| {
            // These values are valid by construction; a refusal would only
            // leave the default in place.
            let _ = settings.set(id, args, Source::Startup);
        };
        set(
            &mut settings,
            Id::Replicaof,
            &[config.master.0.as_bytes(), port.as_bytes()],
        );
        // No disk: the snapshot always goes straight to the parser.
        set(&mut settings, Id::ReplDisklessLoad, &[b"swapdb"]);
        // A full resync or the master's FLUSHALL frees the old keys a
        // slice per tick, not in one task: a million keys take the page's
        // thread for 150 ms at once.
        set(&mut settings, Id::ReplicaLazyFlush, &[b"yes"]);
        set(&mut settings, Id::LazyfreeLazyUserFlush, &[b"yes"]);
        // The tab listens on no port: REPLCONF listening-port 0.
        set(&mut settings, Id::Port, &[b"0"]);
        if let Some(password) = &config.password {
            set(&mut settings, Id::Masterauth, &[password.as_bytes()]);
        }
        let host = BrowserHost {
            log: config.log,
            clock: config.clock,
            last_warning: last_warning.clone(),
        };
        let mut engine = Engine::new(settings, config.seed, Box::new(host), now);
        engine.replica_from_config();
        engine.record_propagation(true);
        let conn = ConnInfo {
            addr: "browser:0".into(),
            laddr: "browser:0".into(),
            fd: -1,
            is_local: true,
            unix_socket: false,
        };
        let reader = engine
            .connect(conn, now)
            .map_err(|refusal| String::from_utf8_lossy(refusal).into_owned())?;
        let mut node = Node {
            engine,
            reader,
            reader_db: 0,
            generation: 0,
            last_warning,
            request: Vec::new(),
        };
        // RESP3: maps, sets, doubles and nulls arrive typed.
        node.call(0, &[b"HELLO", b"3"], now)?;
        Ok(node)
    }

    /// A connection attempt starts.
    pub fn connecting(&mut self, now_ms: i64) {
        if let Some((_, _, generation)) = self.engine.replica_target() {
            self.generation = generation;
        }
        *self.last_warning.borrow_mut() = None;
        self.engine.replica_connecting(now_ms);
    }

    /// The connection is open: the handshake starts.
    pub fn connected(&mut self, now_ms: i64) {
        self.engine.replica_connected(now_ms);
    }

    /// Bytes from the master.
    pub fn input(&mut self, bytes: &[u8], now_ms: i64) {
        self.engine.replica_input(bytes, now_ms);
        self.drain_host_queues();
    }

    /// Appends what to send to the master; whether there was anything.
    pub fn output(&mut self, out: &mut Vec<u8>) -> bool {
        self.engine.replica_output(out)
    }

    /// Whether the connection should stay open (false after a failed
    /// handshake, a timeout, a protocol error or `CLIENT KILL`).
    pub fn wanted(&self) -> bool {
        self.engine.replica_link_wanted(self.generation)
    }

    /// The connection closed.
    pub fn closed(&mut self, now_ms: i64) {
        self.engine.replica_closed(now_ms);
    }

    /// The periodic work: `REPLCONF ACK`, `repl-timeout`.
    pub fn cron(&mut self, now_ms: i64) {
        self.engine.cron(now_ms);
        self.drain_host_queues();
    }

    /// The last warning the engine logged since the attempt started
    /// (why the master refused us).
    pub fn last_warning(&self) -> Option<String> {
        self.last_warning.borrow().clone()
    }

    /// Where the link stands.
    pub fn status(&self) -> Option<ReplicaStatus> {
        self.engine.replica_status()
    }

    /// Keys in every database.
    pub fn total_keys(&self) -> usize {
        self.engine.keyspace().total_keys()
    }

    /// Appends the keys the master's writes touched since the last call to
    /// `out` (transactions unwrapped, one entry per key).
    pub fn take_changes(&mut self, out: &mut Vec<Change>) {
        let propagated = self.engine.take_propagated();
        if propagated.is_empty() {
            return;
        }
        let commands = self.engine.commands_mut();
        for effect in &propagated {
            let args = effect.args.as_args();
            if args.is_empty() || is(args.get(0), "multi") || is(args.get(0), "exec") {
                continue;
            }
            let Ok(entry) = commands.lookup(&args) else {
                continue;
            };
            let command = entry.fullname.as_str();
            let keys = key_positions(entry.command, &args).unwrap_or_default();
            if keys.is_empty() {
                out.push(Change {
                    db: effect.db,
                    key: None,
                    command,
                });
            }
            for (index, _) in keys {
                out.push(Change {
                    db: effect.db,
                    key: Some(args.get(index).to_vec()),
                    command,
                });
            }
        }
    }

    /// Runs a command through the engine as the local client in `db` and
    /// returns its reply; an error reply is `Err` with its text. Writes are
    /// refused (`-READONLY`) as on any replica.
    pub fn call(&mut self, db: usize, args: &[&[u8]], now_ms: i64) -> Result<Frame, String> {
        self.request.clear();
        if db != self.reader_db {
            encode(&mut self.request, &[b"SELECT", db.to_string().as_bytes()]);
        }
        encode(&mut self.request, args);
        let Some(input) = self.engine.input_buffer(self.reader) else {
            return Err("ERR the reading client is gone".into());
        };
        input.extend_from_slice(&self.request);
        self.engine.process_input(self.reader, now_ms);
        self.drain_host_queues();
        let output = self.engine.output(self.reader);
        let mut at = 0;
        let mut frames = Vec::with_capacity(2);
        while at < output.len() {
            match frame::parse(&output[at..], &FRAME_LIMITS) {
                Ok((frame, used)) => {
                    frames.push(frame);
                    at += used;
                }
                Err(_) => break,
            }
        }
        let used = output.len();
        self.engine.consume_output(self.reader, used);
        let reply = frames.pop();
        if db != self.reader_db {
            match frames.pop() {
                Some(Frame::Error(text)) => return Err(String::from_utf8_lossy(&text).into_owned()),
                _ => self.reader_db = db,
            }
        }
        match reply {
            Some(Frame::Error(text)) => Err(String::from_utf8_lossy(&text).into_owned()),
            Some(frame) => Ok(frame),
            None => Err("ERR no reply".into()),
        }
    }

    /// Host work the engine queues: there are no other clients to wake
    /// and no events a tab acts on.
    fn drain_host_queues(&mut self) {
        while self.engine.poll_wakeup().is_some() {}
        while self.engine.poll_event().is_some() {}
    }
}

/// Appends `args` as a RESP array of bulk strings.
pub(crate) fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    use std::io::Write;
    let _ = write!(out, "*{}\r\n", args.len());
    for arg in args {
        let _ = write!(out, "${}\r\n", arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}
