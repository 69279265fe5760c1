//! Shared test support: start `redis-server` or `vitrine-server` on a free
//! loopback port, talk raw RESP to it, stop it (only the process we
//! started, by its PID).

#![allow(dead_code)]

pub mod dataset;
pub mod legacy_rdb;
pub mod link;
pub mod repl;
pub mod webdriver;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vitrine_core::resp::frame::{self, FrameError, FrameLimits};

/// Which server binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Debian's redis-server 7.0.
    Redis,
    /// This project's server.
    Vitrine,
}

/// How a launched server ended its start-up.
pub enum Launch {
    /// It answers PING.
    Running(Server),
    /// It exited by itself (refused a config or a data file).
    Exited {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its log file followed by its stderr.
        log: String,
    },
}

/// A server process this test started.
pub struct Server {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Which binary.
    pub kind: Kind,
    child: Child,
    /// Scratch directory (dir, logfile).
    pub dir: PathBuf,
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// A fresh scratch directory under the target dir, never shared: named by
/// process and a counter, and created only if it did not exist.
pub fn scratch_dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).expect("create the scratch base");
    loop {
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("{}-{}-{}", name, std::process::id(), number));
        match std::fs::create_dir(&dir) {
            Ok(()) => return dir,
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => panic!("create scratch dir {}: {error}", dir.display()),
        }
    }
}

/// The vitrine binary built for these tests.
pub fn vitrine_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vitrine-server"))
}

/// Whether redis-server is installed (the test script installs it). Under
/// `VITRINE_REQUIRE_TOOLS` it must be: see [`skip_unless_required`].
pub fn redis_available() -> bool {
    let found = Command::new("redis-server").arg("--version").output().is_ok();
    if !found {
        skip_unless_required("redis-server");
    }
    found
}

/// Called by a test about to skip because `tool` is missing. The test
/// script, which installs every tool first, sets `VITRINE_REQUIRE_TOOLS`
/// (to any value): there a missing tool fails the test, so CI cannot pass
/// without running it. A plain `cargo test` on a bare machine still skips.
pub fn skip_unless_required(tool: &str) {
    assert!(
        std::env::var_os("VITRINE_REQUIRE_TOOLS").is_none(),
        "{tool}: not found, and VITRINE_REQUIRE_TOOLS says every tool is installed"
    );
}

impl Server {
    /// Starts a server of `kind` without persistence, with extra
    /// `--directive value` arguments.
    pub fn start(kind: Kind, extra: &[&str]) -> Server {
        let mut args = vec!["--save", "", "--appendonly", "no"];
        args.extend_from_slice(extra);
        Self::start_with(kind, None, &args)
    }

    /// Starts a server with a config file and extra arguments; only what
    /// cannot work on a test machine is overridden (port, bind, dir,
    /// logfile, daemonize).
    pub fn start_with(kind: Kind, config: Option<&Path>, extra: &[&str]) -> Server {
        let dir = scratch_dir(match kind {
            Kind::Redis => "redis",
            Kind::Vitrine => "vitrine",
        });
        Self::start_in(kind, config, dir, extra)
    }

    /// `start_with` in a directory the caller prepared (for example with a
    /// `dump.rdb` to load); the server owns it and removes it when dropped.
    pub fn start_in(kind: Kind, config: Option<&Path>, dir: PathBuf, extra: &[&str]) -> Server {
        match Self::launch_in(kind, config, dir, extra, Duration::from_secs(20)) {
            Launch::Running(server) => server,
            Launch::Exited { status, log } => {
                panic!("{kind:?} server exited at start-up ({status}); log:\n{log}")
            }
        }
    }

    /// Spawns a server in `dir` and waits until it serves (`Launch::Running`)
    /// or exits by itself (`Launch::Exited`, with its log; the directory is
    /// then removed); panics if it does neither within `timeout`. A port
    /// another process took meanwhile is retried on a fresh one.
    pub fn launch_in(kind: Kind, config: Option<&Path>, dir: PathBuf, extra: &[&str], timeout: Duration) -> Launch {
        const BIND_FAILURE: &str = "Could not create server TCP listening socket";
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port();
            let mut child = spawn(kind, config, &dir, port, extra);
            match wait_ready(&mut child, kind, port, &dir, timeout) {
                Ok(()) => return Launch::Running(Server { port, kind, child, dir }),
                Err(status) => {
                    let log = read_log(&dir);
                    if log.contains(BIND_FAILURE) && attempt < 5 {
                        continue;
                    }
                    let _ = std::fs::remove_dir_all(&dir);
                    return Launch::Exited { status, log };
                }
            }
        }
    }

    /// The server's log so far, followed by anything it wrote to stderr
    /// (a panic would show there).
    pub fn log(&self) -> String {
        read_log(&self.dir)
    }

    /// A new raw connection.
    pub fn connect(&self) -> Conn {
        Conn::connect(self.port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit by itself (after SHUTDOWN).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// A server's log file followed by its stderr.
fn read_log(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    log + &std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default()
}

/// Spawns a server listening on `port` with `dir` as its directory (its
/// log and stderr files start empty).
fn spawn(kind: Kind, config: Option<&Path>, dir: &Path, port: u16, extra: &[&str]) -> Child {
    let binary = match kind {
        Kind::Redis => PathBuf::from("redis-server"),
        Kind::Vitrine => vitrine_binary(),
    };
    let mut command = Command::new(binary);
    if let Some(config) = config {
        command.arg(config);
    }
    let port_text = port.to_string();
    let dir_text = dir.to_string_lossy().into_owned();
    let log_path = dir.join("server.log");
    let _ = std::fs::remove_file(&log_path);
    let log_text = log_path.to_string_lossy().into_owned();
    command.args([
        "--port",
        &port_text,
        "--bind",
        "127.0.0.1",
        "--dir",
        &dir_text,
        "--logfile",
        &log_text,
        "--daemonize",
        "no",
    ]);
    command.args(extra);
    let stderr = std::fs::File::create(dir.join("stderr.log")).expect("stderr file");
    command.stdout(Stdio::null()).stderr(stderr);
    command.spawn().expect("spawn server")
}

/// What a probe of a starting server found.
enum Probe {
    /// Nothing usable yet (not listening, loading, or another process on
    /// the port).
    NotYet,
    /// Our process serves.
    Ready,
}

/// Asks the server on `port` for its process id (so that another test's
/// server that took the port is not mistaken for ours) and whether it
/// still loads its data.
fn probe(port: u16, pid: u32) -> Probe {
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return Probe::NotYet;
    };
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        stream,
        buffer: Vec::new(),
        ended: None,
    };
    let wait = Duration::from_secs(2);
    if conn.stream.write_all(b"INFO server\r\n").is_err() {
        return Probe::NotYet;
    }
    let Some(info) = conn.try_read_reply(wait) else {
        return Probe::NotYet;
    };
    if info.starts_with(b"-LOADING") {
        return Probe::NotYet;
    }
    let text = String::from_utf8_lossy(&info);
    if let Some(at) = text.find("process_id:") {
        let digits: String = text[at + 11..].chars().take_while(char::is_ascii_digit).collect();
        if digits.parse::<u32>().ok() != Some(pid) {
            return Probe::NotYet;
        }
    }
    // INFO may be refused (NOAUTH...): then any reply but LOADING will do.
    if conn.stream.write_all(b"PING\r\n").is_err() {
        return Probe::NotYet;
    }
    match conn.try_read_reply(wait) {
        Some(reply) if !reply.starts_with(b"-LOADING") => Probe::Ready,
        _ => Probe::NotYet,
    }
}

/// Waits until the child serves; `Err` with its exit status if it exits
/// first.
fn wait_ready(
    child: &mut Child,
    kind: Kind,
    port: u16,
    dir: &Path,
    timeout: Duration,
) -> Result<(), std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(status);
        }
        if let Probe::Ready = probe(port, child.id()) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "{kind:?} server on port {port} neither started nor exited; log:\n{}",
        read_log(dir)
    );
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A raw RESP connection.
pub struct Conn {
    stream: TcpStream,
    buffer: Vec<u8>,
    /// Why the last read got nothing (closed, reset, timed out), for
    /// the message of a failed test.
    ended: Option<String>,
}

impl Conn {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buffer: Vec::new(),
            ended: None,
        }
    }

    /// Sends raw bytes, saying whether the server still took them (it may
    /// close the connection while they are on their way).
    pub fn try_send_raw(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends a command as a RESP multibulk.
    pub fn send(&mut self, args: &[&[u8]]) {
        self.send_raw(&encode(args));
    }

    /// Reads one complete reply, raw bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        self.try_read_reply(Duration::from_secs(10)).unwrap_or_else(|| {
            let peer = self
                .stream
                .peer_addr()
                .map_or("a closed connection".into(), |a| a.to_string());
            panic!(
                "no complete reply from {peer} ({}); buffered: {:?}",
                self.ended.as_deref().unwrap_or("?"),
                String::from_utf8_lossy(&self.buffer)
            )
        })
    }

    /// Reads one reply within `timeout`, or `None` if none came (or the
    /// connection closed).
    pub fn try_read_reply(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            match frame::check(&self.buffer, &FrameLimits::default()) {
                Ok(len) => {
                    let reply = self.buffer[..len].to_vec();
                    self.buffer.drain(..len);
                    return Some(reply);
                }
                Err(FrameError::Incomplete) => {}
                Err(other) => panic!(
                    "bad reply bytes {:?}: {:?}",
                    other,
                    String::from_utf8_lossy(&self.buffer)
                ),
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                self.ended = Some(format!("nothing more within {timeout:?}"));
                return None;
            };
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .ok()?;
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.ended = Some("closed by the server".into());
                    return None;
                }
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => {
                    self.ended = Some(format!("{error} after waiting {:?}", timeout - left));
                    return None;
                }
            }
        }
    }

    /// Sends a command and reads its reply.
    pub fn call(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(args);
        self.read_reply()
    }

    /// `call` with string arguments.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.call(&args)
    }

    /// Whether the server closed the connection (reads until EOF or timeout).
    pub fn is_closed(&mut self, timeout: Duration) -> bool {
        self.stream.set_read_timeout(Some(timeout)).ok();
        let mut chunk = [0u8; 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) => return e.kind() == std::io::ErrorKind::ConnectionReset,
            }
        }
    }
}

/// RESP multibulk encoding of a command.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}
