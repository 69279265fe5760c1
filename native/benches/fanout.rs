//! Fan-out load tool: N replicas made of core's `ReplicaLink` and RDB
//! `Loader` attach to a master, which then takes `redis-benchmark` writes.
//! Run once against `redis-server` with N TCP replicas and once against
//! `vitrine-server` with N WebSocket (browser) replicas, on the same
//! machine in one run (and against vitrine with N TCP replicas, to tell
//! the engine's fan-out from the WebSocket layer's cost); printed: the
//! time until all N finished their full sync, the master's write
//! throughput with N replicas attached, and the time until every replica
//! received the whole stream after the load, with the ratios. One replica
//! in a hundred is the browser's whole replica (`vitrine_web::node`,
//! core's engine applying the stream): after the load and a last round of
//! 1,000 writes of distinct values, each of those must hold exactly the
//! master's keys, and those values.
//!
//! `cargo bench -p vitrine-server --bench fanout -- [N] [REQUESTS]`
//! (defaults 1000 and 200000; `benches/fanout.sh` wraps it). The other
//! replicas report every received byte as applied and acknowledge once a
//! second, as a replica whose engine keeps up would. Timing, not a test.

use futures_util::{SinkExt, StreamExt};
use std::cell::{Cell, RefCell};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use vitrine_core::config::Config;
use vitrine_core::keyspace::Keyspace;
use vitrine_core::rdb::load::Loader;
use vitrine_core::rdb::LoadOptions;
use vitrine_core::repl::link::State;
use vitrine_core::repl::{Event, LinkConfig, ReplicaLink};
use vitrine_core::resp::frame::Frame;
use vitrine_web::node::{Node, NodeConfig};

/// Keys written before the replicas attach (their snapshot).
const DATASET_KEYS: usize = 1000;

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// One side of the comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    /// `redis-server`, TCP replicas.
    Redis,
    /// `vitrine-server`, TCP replicas: the engine's fan-out alone.
    VitrineTcp,
    /// `vitrine-server`, WebSocket replicas.
    Vitrine,
}

/// A server process, killed (by its PID) when dropped.
struct ServerProcess {
    child: Child,
    port: u16,
    replica_port: u16,
    dir: std::path::PathBuf,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(side: Side, replicas: usize) -> ServerProcess {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("fanout-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let (program, replica_port) = match side {
        Side::Redis => ("redis-server".into(), port),
        Side::VitrineTcp => (env!("CARGO_BIN_EXE_vitrine-server").to_string(), port),
        Side::Vitrine => (env!("CARGO_BIN_EXE_vitrine-server").to_string(), free_port()),
    };
    let mut args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--dir",
        &dir.to_string_lossy(),
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxclients",
        &(replicas + 1000).to_string(),
        // One snapshot for all: the fork waits for every replica, or 5 s.
        "--repl-diskless-sync-max-replicas",
        &replicas.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if side == Side::Vitrine {
        args.extend(
            [
                "--websocket-port",
                &replica_port.to_string(),
                "--websocket-maxclients",
                &(replicas + 10).to_string(),
            ]
            .iter()
            .map(|s| s.to_string()),
        );
    }
    let child = Command::new(program)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let server = ServerProcess {
        child,
        port,
        replica_port,
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while redis_cli(port, &["PING"]) != "PONG" {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn master_offset(port: u16) -> i64 {
    redis_cli(port, &["INFO", "replication"])
        .lines()
        .find_map(|l| l.strip_prefix("master_repl_offset:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

/// A replica's connection: a TCP socket or a WebSocket.
enum Pipe {
    Tcp(TcpStream),
    Ws(Box<WebSocketStream<TcpStream>>),
}

impl Pipe {
    async fn open(side: Side, port: u16) -> Pipe {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        let _ = stream.set_nodelay(true);
        match side {
            Side::Redis | Side::VitrineTcp => Pipe::Tcp(stream),
            Side::Vitrine => {
                let url = format!("ws://127.0.0.1:{port}/replication");
                let (ws, _) = tokio_tungstenite::client_async(url, stream).await.expect("the upgrade");
                Pipe::Ws(Box::new(ws))
            }
        }
    }

    async fn send(&mut self, bytes: Vec<u8>) -> bool {
        match self {
            Pipe::Tcp(stream) => stream.write_all(&bytes).await.is_ok(),
            Pipe::Ws(ws) => ws.send(Message::Binary(bytes.into())).await.is_ok(),
        }
    }

    /// The next bytes; `None` once closed.
    async fn receive(&mut self, buffer: &mut Vec<u8>) -> Option<()> {
        buffer.clear();
        match self {
            Pipe::Tcp(stream) => {
                buffer.resize(64 * 1024, 0);
                let n = stream.read(buffer).await.ok().filter(|n| *n > 0)?;
                buffer.truncate(n);
            }
            Pipe::Ws(ws) => loop {
                match ws.next().await? {
                    Ok(Message::Binary(bytes)) => {
                        buffer.extend_from_slice(&bytes);
                        break;
                    }
                    Ok(Message::Close(_)) | Err(_) => return None,
                    Ok(_) => {}
                }
            },
        }
        Some(())
    }
}

/// What every replica task reports.
#[derive(Default)]
struct Progress {
    /// Replicas streaming after their full sync.
    synced: Cell<usize>,
    /// Stream offset received by each replica.
    offsets: RefCell<Vec<i64>>,
    /// Replicas whose link failed.
    failed: Cell<usize>,
}

/// What a replica task drives: core's link with the snapshot loader, or
/// the browser's whole replica.
trait Follower {
    /// The connection is open.
    fn start(&mut self, now: i64);
    /// Bytes from the master.
    fn input(&mut self, bytes: &[u8], now: i64);
    /// Appends what to send; whether there was anything.
    fn output(&mut self, out: &mut Vec<u8>) -> bool;
    /// Once a second: acknowledgements, timeouts.
    fn tick(&mut self, now: i64);
    /// The master offset received, once the full sync is done.
    fn streaming_offset(&self) -> Option<i64>;
    /// Whether the link gave up.
    fn gone(&self) -> bool;
}

/// Core's `ReplicaLink` and RDB `Loader`: the snapshot is loaded (and
/// dropped), the stream's bytes reported as applied, as a replica whose
/// engine keeps up would.
struct LinkFollower {
    link: ReplicaLink,
    keyspace: Keyspace,
    loader: Option<Loader>,
}

impl LinkFollower {
    fn new(index: usize) -> Self {
        LinkFollower {
            link: ReplicaLink::new(LinkConfig {
                listening_port: 10000 + index as u16,
                timeout_ms: 600_000,
                ..LinkConfig::default()
            }),
            keyspace: Keyspace::new(16),
            loader: None,
        }
    }
}

fn on_event(event: Event<'_>, keyspace: &mut Keyspace, loader: &mut Option<Loader>) {
    match event {
        Event::RdbStart { size } => {
            *loader = Some(Loader::new(LoadOptions::from_config(&Config::new()), 0, false, size));
        }
        Event::RdbChunk(bytes) => {
            if let Some(loader) = loader.as_mut() {
                loader.feed(keyspace, bytes).expect("the RDB loads");
            }
        }
        Event::RdbEnd => {
            if let Some(done) = loader.take() {
                done.finish().expect("the RDB is whole");
            }
            assert_eq!(keyspace.total_keys(), DATASET_KEYS, "the snapshot holds the dataset");
            // The load is what was measured; keep the tool's memory flat.
            *keyspace = Keyspace::new(1);
        }
        _ => {}
    }
}

impl Follower for LinkFollower {
    fn start(&mut self, now: i64) {
        self.link.handle_connected(now);
    }

    fn input(&mut self, bytes: &[u8], now: i64) {
        let mut input = self.link.handle_input(now, bytes);
        while let Some(event) = input.next_event() {
            on_event(event, &mut self.keyspace, &mut self.loader);
        }
        if self.link.state() == State::Connected {
            let applied = (self.link.read_reploff() - self.link.reploff()) as usize;
            self.link.handle_applied(applied);
        }
    }

    fn output(&mut self, out: &mut Vec<u8>) -> bool {
        while let Some(event) = self.link.poll_event() {
            on_event(event, &mut self.keyspace, &mut self.loader);
        }
        self.link.poll_output(out)
    }

    fn tick(&mut self, now: i64) {
        self.link.handle_timeout(now);
    }

    fn streaming_offset(&self) -> Option<i64> {
        (self.link.state() == State::Connected).then(|| self.link.read_reploff())
    }

    fn gone(&self) -> bool {
        self.link.state() == State::Closed
    }
}

/// The browser's replica (`vitrine_web::node::Node`: core's engine in the
/// replica role, applying the stream), shared with the run, which reads
/// its data once the load is over.
struct NodeFollower(Rc<RefCell<Node>>);

impl NodeFollower {
    fn new(port: u16) -> Self {
        let mut node = Node::new(NodeConfig {
            master: ("127.0.0.1".into(), port),
            password: None,
            seed: [7; 32],
            log: Box::new(|_, _| {}),
            clock: unix_ms,
        })
        .expect("a replica node");
        // The link replicas' timeout: a thousand replicas on one thread
        // may leave one waiting.
        let set = node.call(0, &[b"CONFIG", b"SET", b"repl-timeout", b"600"], unix_ms());
        assert_eq!(set, Ok(Frame::Simple(b"OK".to_vec())));
        NodeFollower(Rc::new(RefCell::new(node)))
    }
}

impl Follower for NodeFollower {
    fn start(&mut self, now: i64) {
        let mut node = self.0.borrow_mut();
        node.connecting(now);
        node.connected(now);
    }

    fn input(&mut self, bytes: &[u8], now: i64) {
        let mut node = self.0.borrow_mut();
        node.input(bytes, now);
        // Change events are the page's business; drop them.
        node.take_changes(&mut Vec::new());
    }

    fn output(&mut self, out: &mut Vec<u8>) -> bool {
        self.0.borrow_mut().output(out)
    }

    fn tick(&mut self, now: i64) {
        self.0.borrow_mut().cron(now);
    }

    fn streaming_offset(&self) -> Option<i64> {
        let status = self.0.borrow().status()?;
        (status.state == "connected").then_some(status.read_offset)
    }

    fn gone(&self) -> bool {
        !self.0.borrow().wanted()
    }
}

/// Unix milliseconds, the nodes' clock.
fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn replica(side: Side, port: u16, index: usize, mut follower: Box<dyn Follower>, progress: Rc<Progress>) {
    let mut pipe = Pipe::open(side, port).await;
    follower.start(unix_ms());
    let mut buffer = Vec::new();
    let mut out = Vec::new();
    let mut synced = false;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        out.clear();
        if follower.output(&mut out) && !pipe.send(std::mem::take(&mut out)).await {
            break;
        }
        if follower.gone() {
            break;
        }
        tokio::select! {
            received = pipe.receive(&mut buffer) => {
                if received.is_none() {
                    break;
                }
                follower.input(&buffer, unix_ms());
                if let Some(offset) = follower.streaming_offset() {
                    progress.offsets.borrow_mut()[index] = offset;
                    if !synced {
                        synced = true;
                        progress.synced.set(progress.synced.get() + 1);
                    }
                }
            }
            _ = tick.tick() => follower.tick(unix_ms()),
        }
    }
    progress.failed.set(progress.failed.get() + 1);
}

/// Every this many replicas, one is the browser's whole replica
/// ([`NodeFollower`]), whose data is compared with the master's after the
/// load; the others only load the snapshot and count the stream's bytes
/// (a thousand engines holding the load's 100,000 keys each would take
/// gigabytes).
const SAMPLE_EVERY: usize = 100;

/// The master's keys (db 0), sorted.
fn master_keys(port: u16) -> Vec<String> {
    let mut keys: Vec<String> = redis_cli(port, &["--scan"]).lines().map(str::to_string).collect();
    keys.sort();
    keys
}

/// Keys written after the load with a value each of their own
/// (redis-benchmark writes one value to every key).
const DISTINCT_KEYS: usize = 1000;

/// Writes the [`DISTINCT_KEYS`] through `redis-cli --pipe` and returns
/// them with the master's values, read back with `MGET`.
fn write_distinct_values(port: u16) -> Vec<(String, String)> {
    use std::io::Write;
    let keys: Vec<String> = (0..DISTINCT_KEYS).map(|i| format!("distinct:{i}")).collect();
    let mut commands = String::new();
    for (i, key) in keys.iter().enumerate() {
        let value = format!("{i}:{}", i * 7919);
        commands.push_str(&format!(
            "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
            key.len(),
            value.len()
        ));
    }
    let mut pipe = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-cli --pipe");
    pipe.stdin
        .take()
        .expect("stdin")
        .write_all(commands.as_bytes())
        .expect("the writes");
    assert!(pipe.wait().expect("redis-cli --pipe").success());
    let mut args = vec!["MGET"];
    args.extend(keys.iter().map(String::as_str));
    let values: Vec<String> = redis_cli(port, &args).lines().map(str::to_string).collect();
    assert_eq!(values.len(), DISTINCT_KEYS, "MGET's values");
    keys.into_iter().zip(values).collect()
}

/// Waits until `node` applied the stream up to `offset`.
async fn wait_applied(node: &Rc<RefCell<Node>>, offset: i64) {
    let start = Instant::now();
    while node.borrow().status().map_or(-1, |s| s.offset) < offset {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "a sampled replica never applied the stream"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Panics unless `node` holds exactly `keys` in db 0, with `values`.
fn assert_same_data(node: &mut Node, keys: &[String], values: &[(String, String)]) {
    let now = unix_ms();
    let text = |frame: &Frame| match frame {
        Frame::Bulk(b) | Frame::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a string: {other:?}"),
    };
    let mut held = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let reply = node.call(0, &[b"SCAN", cursor.as_bytes(), b"COUNT", b"1000"], now);
        let Ok(Frame::Array(parts)) = reply else {
            panic!("SCAN replied {reply:?}");
        };
        let Some(Frame::Array(page)) = parts.get(1) else {
            panic!("SCAN replied {parts:?}");
        };
        held.extend(page.iter().map(text));
        cursor = text(&parts[0]);
        if cursor == "0" {
            break;
        }
    }
    held.sort();
    assert!(
        held == keys,
        "a sampled replica holds {} keys, the master {}",
        held.len(),
        keys.len()
    );
    for (key, value) in values {
        let got = node.call(0, &[b"GET", key.as_bytes()], now).map(|f| text(&f));
        assert_eq!(got.as_deref(), Ok(value.as_str()), "{key}");
    }
}

/// The measurements of one side.
struct Run {
    sync_seconds: f64,
    writes_per_second: f64,
    converge_seconds: f64,
}

fn benchmark(port: u16, requests: usize) -> f64 {
    let output = Command::new("redis-benchmark")
        .args([
            "-p",
            &port.to_string(),
            "-q",
            "-t",
            "set",
            "-c",
            "50",
            "-P",
            "16",
            "-r",
            "100000",
        ])
        .args(["-n", &requests.to_string()])
        .output()
        .expect("redis-benchmark");
    String::from_utf8_lossy(&output.stdout)
        .split(['\r', '\n'])
        .rev()
        .filter_map(|l| l.split(": ").nth(1))
        .find_map(|v| v.split(' ').next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
}

async fn run_side(side: Side, replicas: usize, requests: usize) -> Run {
    let server = start(side, replicas);
    let populate = Command::new("redis-benchmark")
        .args(["-p", &server.port.to_string(), "-q", "-t", "set", "-P", "16"])
        .args(["-r", &DATASET_KEYS.to_string(), "-n", &(DATASET_KEYS * 20).to_string()])
        .output()
        .expect("redis-benchmark");
    assert!(populate.status.success());
    let keys = redis_cli(server.port, &["DBSIZE"]);
    assert_eq!(keys, DATASET_KEYS.to_string(), "the dataset");

    let progress = Rc::new(Progress::default());
    progress.offsets.borrow_mut().resize(replicas, 0);
    let started = Instant::now();
    let mut samples = Vec::new();
    for index in 0..replicas {
        let follower: Box<dyn Follower> = if index % SAMPLE_EVERY == 0 {
            let node = NodeFollower::new(server.replica_port);
            samples.push(node.0.clone());
            Box::new(node)
        } else {
            Box::new(LinkFollower::new(index))
        };
        tokio::task::spawn_local(replica(side, server.replica_port, index, follower, progress.clone()));
    }
    while progress.synced.get() < replicas {
        assert_eq!(progress.failed.get(), 0, "a replica failed");
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the full syncs never ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sync_seconds = started.elapsed().as_secs_f64();

    let port = server.port;
    let load = std::thread::spawn(move || benchmark(port, requests));
    while !load.is_finished() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let writes_per_second = load.join().unwrap_or(0.0);
    let load_end = Instant::now();
    let target = master_offset(server.port);
    while progress.offsets.borrow().iter().any(|&o| o < target) {
        assert_eq!(progress.failed.get(), 0, "a replica failed");
        assert!(
            load_end.elapsed() < Duration::from_secs(300),
            "the replicas never converged"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let converge_seconds = load_end.elapsed().as_secs_f64();
    // The sampled replicas' data, once they applied a last round of
    // writes whose values differ.
    let values = write_distinct_values(server.port);
    let target = master_offset(server.port);
    let master_keys = master_keys(server.port);
    for node in &samples {
        wait_applied(node, target).await;
        assert_same_data(&mut node.borrow_mut(), &master_keys, &values);
    }
    eprintln!(
        "{side:?}: {} sampled replicas hold the master's {} keys and its {DISTINCT_KEYS} distinct values",
        samples.len(),
        master_keys.len()
    );
    drop(server);
    Run {
        sync_seconds,
        writes_per_second,
        converge_seconds,
    }
}

fn main() {
    let numbers: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let replicas = numbers.first().copied().unwrap_or(1000);
    let requests = numbers.get(1).copied().unwrap_or(200_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    let (redis, tcp, vitrine) = local.block_on(&runtime, async {
        let redis = run_side(Side::Redis, replicas, requests).await;
        let tcp = run_side(Side::VitrineTcp, replicas, requests).await;
        let vitrine = run_side(Side::Vitrine, replicas, requests).await;
        (redis, tcp, vitrine)
    });
    println!("fan-out: {replicas} replicas, {requests} SETs (redis-benchmark -P 16 -c 50)");
    println!("| measure | redis-server, TCP replicas | vitrine, TCP replicas | vitrine, WebSocket replicas | ratio WebSocket / redis |");
    println!("|---|---|---|---|---|");
    let row = |name: &str, value: &dyn Fn(&Run) -> f64, digits: usize| {
        let ratio = if value(&redis) > 0.0 {
            format!("{:.2}", value(&vitrine) / value(&redis))
        } else {
            "-".to_string()
        };
        println!(
            "| {name} | {:.digits$} | {:.digits$} | {:.digits$} | {ratio} |",
            value(&redis),
            value(&tcp),
            value(&vitrine),
        );
    };
    row("full sync of all replicas (s)", &|r| r.sync_seconds, 2);
    row("master writes/s with replicas attached", &|r| r.writes_per_second, 0);
    row("every replica converged after the load (s)", &|r| r.converge_seconds, 3);
}
