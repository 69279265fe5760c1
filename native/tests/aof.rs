//! The append-only file end to end: Redis 7's multi-part directory read
//! and written by both servers (`redis-check-aof` agrees), acknowledged
//! writes surviving `kill -9` under `appendfsync always`, a file cut in
//! its last command and a file corrupt in the middle.

mod common;

use common::dataset::{assert_same, Dataset};
use common::repl::{assert_converged, info_field, live_writes, populate, wait_for};
use common::{redis_available, scratch_dir, Conn, Kind, Launch, Server};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Starts a server of `kind` with the AOF on in `dir` (which it owns).
fn start_aof(kind: Kind, dir: PathBuf, extra: &[&str]) -> Server {
    let mut args = vec!["--save", "", "--appendonly", "yes"];
    args.extend_from_slice(extra);
    Server::start_in(kind, None, dir, &args)
}

/// A fresh directory holding a copy of `from`'s AOF directory, as a
/// crash would leave it (the server writing it may still run or be dead).
fn copy_aof_dir(from: &Path) -> PathBuf {
    let to = scratch_dir("aof-copy");
    let source = from.join("appendonlydir");
    let target = to.join("appendonlydir");
    std::fs::create_dir(&target).expect("create appendonlydir");
    for entry in std::fs::read_dir(&source).expect("read appendonlydir") {
        let entry = entry.expect("dir entry");
        std::fs::copy(entry.path(), target.join(entry.file_name())).expect("copy an AOF file");
    }
    to
}

/// The manifest's text.
fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).expect("manifest")
}

/// The path of the last incremental file the manifest names.
fn last_incr(dir: &Path) -> PathBuf {
    let text = manifest(dir);
    let name = text
        .lines()
        .rfind(|line| line.ends_with("type i"))
        .and_then(|line| line.split(' ').nth(1))
        .expect("an incr file")
        .to_string();
    dir.join("appendonlydir").join(name)
}

/// Runs `redis-check-aof` on the directory's manifest; panics unless it
/// finds every file valid.
fn check_aof(dir: &Path) {
    let output = Command::new("redis-check-aof")
        .arg(dir.join("appendonlydir/appendonly.aof.manifest"))
        .output()
        .expect("run redis-check-aof");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && text.contains("All AOF files and manifest are valid"),
        "redis-check-aof refused the directory:\n{text}\nmanifest:\n{}",
        manifest(dir)
    );
}

/// Ends `server` with SIGKILL, as a crash: no final write, no fsync.
fn kill_9(server: &Server) {
    // SAFETY: kill has no memory effects; the pid is our own child.
    unsafe {
        libc::kill(server.pid() as libc::pid_t, libc::SIGKILL);
    }
}

fn wait_rewrite_done(conn: &mut Conn) {
    wait_for("the AOF rewrite to end", Duration::from_secs(20), || {
        info_field(conn, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(conn, "persistence", "aof_rewrite_scheduled") == "0"
    });
}

#[test]
fn redis_loads_the_directory_vitrine_writes() {
    if !redis_available() {
        return;
    }
    for preamble in ["yes", "no"] {
        let vitrine = start_aof(
            Kind::Vitrine,
            scratch_dir("vitrine-aof"),
            &["--appendfsync", "always", "--aof-use-rdb-preamble", preamble],
        );
        let mut conn = vitrine.connect();
        populate(&mut conn);
        for round in 0..3 {
            live_writes(&mut conn, round);
        }
        let written = Dataset::read(&mut conn).normalized();
        check_aof(&vitrine.dir);
        let base = if preamble == "yes" { "base.rdb" } else { "base.aof" };
        assert!(manifest(&vitrine.dir).contains(base), "{}", manifest(&vitrine.dir));
        let redis = start_aof(Kind::Redis, copy_aof_dir(&vitrine.dir), &[]);
        assert_same(
            &written,
            "vitrine",
            &Dataset::read_port(redis.port).normalized(),
            "redis",
        );
        // And vitrine reads its own directory back the same.
        let again = start_aof(Kind::Vitrine, copy_aof_dir(&vitrine.dir), &[]);
        assert_same(
            &written,
            "before",
            &Dataset::read_port(again.port).normalized(),
            "after restart",
        );
    }
}

#[test]
fn vitrine_loads_the_directory_redis_writes() {
    if !redis_available() {
        return;
    }
    for preamble in ["yes", "no"] {
        let redis = start_aof(
            Kind::Redis,
            scratch_dir("redis-aof"),
            &["--aof-use-rdb-preamble", preamble],
        );
        let mut conn = redis.connect();
        populate(&mut conn);
        live_writes(&mut conn, 0);
        // A base of the whole dataset, then more incremental writes.
        assert_eq!(
            conn.cmd(&["BGREWRITEAOF"]),
            b"+Background append only file rewriting started\r\n"
        );
        wait_rewrite_done(&mut conn);
        for round in 1..3 {
            live_writes(&mut conn, round);
        }
        let written = Dataset::read(&mut conn).normalized();
        let vitrine = start_aof(Kind::Vitrine, copy_aof_dir(&redis.dir), &[]);
        assert_same(
            &written,
            "redis",
            &Dataset::read_port(vitrine.port).normalized(),
            "vitrine",
        );
        assert!(
            vitrine.log().contains("DB loaded from append only file"),
            "{}",
            vitrine.log()
        );
    }
}

/// What the writers had acknowledged when the server died.
#[derive(Default)]
struct Acknowledged {
    /// `SET key value` acknowledged.
    strings: Vec<(String, String)>,
    /// INCR replies seen, per counter.
    counters: Vec<(String, i64)>,
    /// RPUSH/HSET/ZADD acknowledged: (key, element).
    lists: Vec<(String, String)>,
    hashes: Vec<(String, String)>,
    zsets: Vec<(String, String)>,
}

/// One writer: its own keys, every reply recorded once received.
fn writer(port: u16, id: usize, stop: Arc<AtomicBool>, acked: Arc<Mutex<Acknowledged>>) {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client");
    let Ok(mut conn) = client.get_connection() else {
        return;
    };
    let counter = format!("counter:{id}");
    let list = format!("list:{id}");
    let hash = format!("hash:{id}");
    let zset = format!("zset:{id}");
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let key = format!("key:{id}:{n}");
        let value = format!("v{n}");
        let element = n.to_string();
        let set: redis::RedisResult<()> = redis::cmd("SET").arg(&key).arg(&value).query(&mut conn);
        if set.is_err() {
            return;
        }
        acked.lock().expect("lock").strings.push((key, value));
        let Ok(count) = redis::cmd("INCR").arg(&counter).query::<i64>(&mut conn) else {
            return;
        };
        acked.lock().expect("lock").counters.push((counter.clone(), count));
        if redis::cmd("RPUSH")
            .arg(&list)
            .arg(&element)
            .query::<i64>(&mut conn)
            .is_err()
        {
            return;
        }
        acked.lock().expect("lock").lists.push((list.clone(), element.clone()));
        if redis::cmd("HSET")
            .arg(&hash)
            .arg(&element)
            .arg("x")
            .query::<i64>(&mut conn)
            .is_err()
        {
            return;
        }
        acked.lock().expect("lock").hashes.push((hash.clone(), element.clone()));
        if redis::cmd("ZADD")
            .arg(&zset)
            .arg(n)
            .arg(&element)
            .query::<i64>(&mut conn)
            .is_err()
        {
            return;
        }
        acked.lock().expect("lock").zsets.push((zset.clone(), element));
    }
}

/// Checks that every acknowledged write is in the restarted server.
fn assert_all_present(port: u16, acked: &Acknowledged) {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client");
    let mut conn = client.get_connection().expect("connect");
    let mut pipe = redis::pipe();
    for (key, _) in &acked.strings {
        pipe.cmd("GET").arg(key);
    }
    let values: Vec<Option<String>> = pipe.query(&mut conn).expect("GETs");
    for ((key, value), found) in acked.strings.iter().zip(values) {
        assert_eq!(found.as_deref(), Some(value.as_str()), "acknowledged SET {key} lost");
    }
    for (counter, count) in &acked.counters {
        let now: i64 = redis::cmd("GET").arg(counter).query(&mut conn).expect("GET counter");
        assert!(now >= *count, "{counter} is {now}, {count} was acknowledged");
    }
    for (list, element) in &acked.lists {
        let position: Option<i64> = redis::cmd("LPOS")
            .arg(list)
            .arg(element)
            .query(&mut conn)
            .expect("LPOS");
        assert!(position.is_some(), "acknowledged RPUSH {list} {element} lost");
    }
    for (hash, field) in &acked.hashes {
        let exists: bool = redis::cmd("HEXISTS")
            .arg(hash)
            .arg(field)
            .query(&mut conn)
            .expect("HEXISTS");
        assert!(exists, "acknowledged HSET {hash} {field} lost");
    }
    for (zset, member) in &acked.zsets {
        let score: Option<f64> = redis::cmd("ZSCORE")
            .arg(zset)
            .arg(member)
            .query(&mut conn)
            .expect("ZSCORE");
        assert!(score.is_some(), "acknowledged ZADD {zset} {member} lost");
    }
}

#[test]
fn acknowledged_writes_survive_kill_9_under_appendfsync_always() {
    for round in 0..3 {
        let server = start_aof(Kind::Vitrine, scratch_dir("aof-crash"), &["--appendfsync", "always"]);
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Acknowledged::default()));
        let writers: Vec<_> = (0..8)
            .map(|id| {
                let (stop, acked, port) = (stop.clone(), acked.clone(), server.port);
                std::thread::spawn(move || writer(port, id, stop, acked))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400 + 200 * round));
        kill_9(&server);
        stop.store(true, Ordering::Relaxed);
        for handle in writers {
            handle.join().expect("writer thread");
        }
        let acked = acked.lock().expect("lock");
        assert!(
            acked.strings.len() > 50,
            "too few writes to mean anything: {}",
            acked.strings.len()
        );
        let restarted = start_aof(Kind::Vitrine, copy_aof_dir(&server.dir), &[]);
        assert_all_present(restarted.port, &acked);
    }
}

#[test]
fn everysec_loses_at_most_about_a_second() {
    let server = start_aof(
        Kind::Vitrine,
        scratch_dir("aof-everysec"),
        &["--appendfsync", "everysec"],
    );
    let mut conn = server.connect();
    for i in 0..200 {
        assert_eq!(conn.cmd(&["SET", &format!("k{i}"), "v"]), b"+OK\r\n");
    }
    // Older than a second: fsynced by the background thread.
    std::thread::sleep(Duration::from_millis(2500));
    kill_9(&server);
    let restarted = start_aof(Kind::Vitrine, copy_aof_dir(&server.dir), &[]);
    assert_eq!(restarted.connect().cmd(&["DBSIZE"]), b":200\r\n");
}

/// Writes a few keys, kills the server, and returns its directory copy.
fn crashed_directory() -> PathBuf {
    let server = start_aof(Kind::Vitrine, scratch_dir("aof-bad"), &["--appendfsync", "always"]);
    let mut conn = server.connect();
    for i in 0..20 {
        assert_eq!(conn.cmd(&["SET", &format!("k{i}"), "value"]), b"+OK\r\n");
    }
    kill_9(&server);
    copy_aof_dir(&server.dir)
}

fn launch(dir: PathBuf, extra: &[&str]) -> Launch {
    let mut args = vec!["--save", "", "--appendonly", "yes"];
    args.extend_from_slice(extra);
    Server::launch_in(Kind::Vitrine, None, dir, &args, Duration::from_secs(20))
}

#[test]
fn a_tail_cut_in_its_last_command_loads_when_allowed() {
    let dir = crashed_directory();
    let incr = last_incr(&dir);
    let length = std::fs::metadata(&incr).expect("incr file").len();
    let cut = std::fs::OpenOptions::new().write(true).open(&incr).expect("open incr");
    cut.set_len(length - 5).expect("truncate");
    // Refused without aof-load-truncated.
    let refused_dir = copy_aof_dir(&dir);
    match launch(refused_dir, &["--aof-load-truncated", "no"]) {
        Launch::Exited { log, .. } => assert!(
            log.contains("Unexpected end of file reading the append only file"),
            "{log}"
        ),
        Launch::Running(_) => panic!("a cut AOF loaded with aof-load-truncated no"),
    }
    // Loaded without the cut command otherwise, and truncated to its last
    // whole command, so that the next start finds it clean.
    let server = start_aof(Kind::Vitrine, dir, &["--aof-load-truncated", "yes"]);
    let log = server.log();
    assert!(
        log.contains("!!! Warning: short read while loading the AOF file"),
        "{log}"
    );
    assert!(
        log.contains("loaded anyway because aof-load-truncated is enabled"),
        "{log}"
    );
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["DBSIZE"]), b":19\r\n");
    assert_eq!(conn.cmd(&["SET", "after", "1"]), b"+OK\r\n");
    check_aof(&server.dir);
}

#[test]
fn a_corrupt_middle_stops_start_up_with_a_clear_message() {
    let dir = crashed_directory();
    let incr = last_incr(&dir);
    let mut bytes = std::fs::read(&incr).expect("incr file");
    let middle = bytes.len() / 2;
    // Garbage at a command boundary in the middle.
    let boundary = middle
        + bytes[middle..]
            .windows(3)
            .position(|w| w == b"\n*3")
            .expect("a command")
        + 1;
    bytes.splice(boundary..boundary, b"garbage\r\n".iter().copied());
    std::fs::write(&incr, &bytes).expect("write incr");
    let started = Instant::now();
    match launch(dir, &["--aof-load-truncated", "yes"]) {
        Launch::Exited { status, log } => {
            assert!(!status.success());
            assert!(log.contains("Bad file format reading the append only file"), "{log}");
        }
        Launch::Running(_) => panic!("a corrupt AOF loaded"),
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn appendonly_yes_ignores_the_rdb_and_reports_aof_fields() {
    // A dump with a key, in the directory the AOF server starts in.
    let dir = scratch_dir("aof-info");
    {
        let saver = Server::start(Kind::Vitrine, &[]);
        let mut conn = saver.connect();
        assert_eq!(conn.cmd(&["SET", "from-rdb", "1"]), b"+OK\r\n");
        assert_eq!(conn.cmd(&["SAVE"]), b"+OK\r\n");
        std::fs::copy(saver.dir.join("dump.rdb"), dir.join("dump.rdb")).expect("copy the dump");
    }
    let server = start_aof(Kind::Vitrine, dir, &["--appendfsync", "always"]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["DBSIZE"]), b":0\r\n", "the AOF wins over the dump");
    assert_eq!(info_field(&mut conn, "persistence", "aof_enabled"), "1");
    let before: u64 = info_field(&mut conn, "persistence", "aof_current_size")
        .parse()
        .expect("size");
    let base: u64 = info_field(&mut conn, "persistence", "aof_base_size")
        .parse()
        .expect("size");
    assert_eq!(before, base, "an empty start has only its base");
    assert_eq!(conn.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    let after: u64 = info_field(&mut conn, "persistence", "aof_current_size")
        .parse()
        .expect("size");
    // SELECT 0 then SET k v.
    assert_eq!(after - before, 23 + 27);
    assert_eq!(
        manifest(&server.dir),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
}

/// Writers that keep writing until stopped, each on its own keys.
fn start_writers(
    port: u16,
    count: usize,
) -> (
    Arc<AtomicBool>,
    Arc<Mutex<Acknowledged>>,
    Vec<std::thread::JoinHandle<()>>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let handles = (0..count)
        .map(|id| {
            let (stop, acked) = (stop.clone(), acked.clone());
            std::thread::spawn(move || writer(port, id, stop, acked))
        })
        .collect();
    (stop, acked, handles)
}

fn stop_writers(stop: Arc<AtomicBool>, handles: Vec<std::thread::JoinHandle<()>>) {
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        handle.join().expect("writer thread");
    }
}

#[test]
fn bgrewriteaof_under_write_load_loses_nothing_and_switches_the_manifest() {
    let server = start_aof(Kind::Vitrine, scratch_dir("aof-rewrite"), &["--appendfsync", "always"]);
    let mut conn = server.connect();
    populate(&mut conn);
    let (stop, acked, handles) = start_writers(server.port, 4);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        conn.cmd(&["BGREWRITEAOF"]),
        b"+Background append only file rewriting started\r\n"
    );
    wait_rewrite_done(&mut conn);
    std::thread::sleep(Duration::from_millis(200));
    stop_writers(stop, handles);
    let written = Dataset::read(&mut conn).normalized();
    assert_eq!(info_field(&mut conn, "persistence", "aof_last_bgrewrite_status"), "ok");
    assert_eq!(info_field(&mut conn, "persistence", "aof_rewrites"), "1");
    assert_eq!(
        manifest(&server.dir),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let mut files: Vec<String> = std::fs::read_dir(server.dir.join("appendonlydir"))
        .expect("appendonlydir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ],
        "the replaced files are removed"
    );
    check_aof(&server.dir);
    kill_9(&server);
    let restarted = start_aof(Kind::Vitrine, copy_aof_dir(&server.dir), &[]);
    assert_all_present(restarted.port, &acked.lock().expect("lock"));
    assert_same(
        &written,
        "before",
        &Dataset::read_port(restarted.port).normalized(),
        "after restart",
    );
    if redis_available() {
        let redis = start_aof(Kind::Redis, copy_aof_dir(&server.dir), &[]);
        assert_same(
            &written,
            "vitrine",
            &Dataset::read_port(redis.port).normalized(),
            "redis",
        );
    }
}

#[test]
fn config_set_appendonly_yes_starts_with_a_rewrite() {
    let server = Server::start(Kind::Vitrine, &[]);
    let mut conn = server.connect();
    populate(&mut conn);
    assert_eq!(conn.cmd(&["CONFIG", "SET", "appendonly", "yes"]), b"+OK\r\n");
    // Writes while the first rewrite runs go to its incremental file.
    live_writes(&mut conn, 0);
    wait_rewrite_done(&mut conn);
    assert_eq!(info_field(&mut conn, "persistence", "aof_enabled"), "1");
    live_writes(&mut conn, 1);
    let written = Dataset::read(&mut conn).normalized();
    assert_eq!(
        manifest(&server.dir),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    check_aof(&server.dir);
    // Turned off, the files stay as they were.
    assert_eq!(conn.cmd(&["CONFIG", "SET", "appendonly", "no"]), b"+OK\r\n");
    assert_eq!(info_field(&mut conn, "persistence", "aof_enabled"), "0");
    assert_eq!(conn.cmd(&["SET", "not-in-the-aof", "1"]), b"+OK\r\n");
    let restarted = start_aof(Kind::Vitrine, copy_aof_dir(&server.dir), &[]);
    assert_same(
        &written,
        "before",
        &Dataset::read_port(restarted.port).normalized(),
        "after restart",
    );
}

#[test]
fn the_aof_is_rewritten_automatically_when_it_doubles() {
    let server = start_aof(
        Kind::Vitrine,
        scratch_dir("aof-auto"),
        &[
            "--auto-aof-rewrite-min-size",
            "20000",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let mut conn = server.connect();
    let mut pipeline = Vec::new();
    for i in 0..1000 {
        pipeline.extend(common::encode(&[b"SET", b"same-key", format!("value-{i}").as_bytes()]));
    }
    conn.send_raw(&pipeline);
    for _ in 0..1000 {
        assert_eq!(conn.read_reply(), b"+OK\r\n");
    }
    wait_for("an automatic rewrite", Duration::from_secs(10), || {
        info_field(&mut conn, "persistence", "aof_rewrites") == "1"
            && info_field(&mut conn, "persistence", "aof_rewrite_in_progress") == "0"
    });
    let size: u64 = info_field(&mut conn, "persistence", "aof_current_size")
        .parse()
        .expect("size");
    assert!(size < 20000, "the rewritten AOF holds one key: {size} bytes");
    assert!(
        server.log().contains("Starting automatic rewriting of AOF on"),
        "{}",
        server.log()
    );
}

#[test]
fn a_replica_with_appendonly_yes_writes_its_aof_from_the_stream() {
    let master = Server::start(Kind::Vitrine, &[]);
    let mut conn = master.connect();
    populate(&mut conn);
    let port = master.port.to_string();
    let replica = start_aof(
        Kind::Vitrine,
        scratch_dir("aof-replica"),
        &["--appendfsync", "always", "--replicaof", "127.0.0.1", &port],
    );
    common::repl::wait_in_sync(&master, &replica, Duration::from_secs(20));
    let mut replica_conn = replica.connect();
    // The full sync replaced the data: the AOF restarts from a rewrite.
    wait_for("the rewrite after the full sync", Duration::from_secs(20), || {
        info_field(&mut replica_conn, "persistence", "aof_rewrites") == "1"
            && info_field(&mut replica_conn, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(&mut replica_conn, "persistence", "aof_enabled") == "1"
    });
    for round in 0..3 {
        live_writes(&mut conn, round);
    }
    common::repl::wait_in_sync(&master, &replica, Duration::from_secs(20));
    let expected = Dataset::read(&mut conn).normalized();
    assert_same(
        &expected,
        "master",
        &Dataset::read(&mut replica_conn).normalized(),
        "replica",
    );
    check_aof(&replica.dir);
    assert!(
        manifest(&replica.dir).contains("appendonly.aof.2.base.rdb"),
        "{}",
        manifest(&replica.dir)
    );
    kill_9(&replica);
    let restarted = start_aof(Kind::Vitrine, copy_aof_dir(&replica.dir), &[]);
    assert_same(
        &expected,
        "master",
        &Dataset::read_port(restarted.port).normalized(),
        "replica's AOF",
    );
}

#[test]
fn a_crash_during_a_rewrite_leaves_a_directory_that_loads() {
    for preamble in ["yes", "no"] {
        let server = start_aof(
            Kind::Vitrine,
            scratch_dir("aof-rewrite-crash"),
            &["--appendfsync", "always", "--aof-use-rdb-preamble", preamble],
        );
        let mut conn = server.connect();
        populate(&mut conn);
        let mut pipeline = Vec::new();
        for i in 0..2000 {
            pipeline.extend(common::encode(&[b"SET", format!("filler:{i}").as_bytes(), b"x"]));
        }
        conn.send_raw(&pipeline);
        for _ in 0..2000 {
            assert_eq!(conn.read_reply(), b"+OK\r\n");
        }
        // Two seconds of rewrite: 1 ms per key.
        assert_eq!(conn.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]), b"+OK\r\n");
        let (stop, acked, handles) = start_writers(server.port, 4);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            conn.cmd(&["BGREWRITEAOF"]),
            b"+Background append only file rewriting started\r\n"
        );
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(info_field(&mut conn, "persistence", "aof_rewrite_in_progress"), "1");
        kill_9(&server);
        stop_writers(stop, handles);
        // The rewrite never finished: the old base and both incr files.
        assert_eq!(
            manifest(&server.dir),
            format!(
                "file appendonly.aof.1.base.{} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
                if preamble == "yes" { "rdb" } else { "aof" }
            )
        );
        let copy = copy_aof_dir(&server.dir);
        check_aof(&copy);
        let restarted = start_aof(Kind::Vitrine, copy, &[]);
        assert_all_present(restarted.port, &acked.lock().expect("lock"));
    }
}

/// Writes 1,000 keys and starts a rewrite (slow with
/// `rdb-key-save-delay`).
fn thousand_keys_then_rewrite(conn: &mut Conn) {
    let mut pipeline = Vec::new();
    for i in 0..1000 {
        pipeline.extend(common::encode(&[b"SET", format!("k{i}").as_bytes(), b"x"]));
    }
    conn.send_raw(&pipeline);
    for _ in 0..1000 {
        assert_eq!(conn.read_reply(), b"+OK\r\n");
    }
    assert_eq!(
        conn.cmd(&["BGREWRITEAOF"]),
        b"+Background append only file rewriting started\r\n"
    );
}

#[test]
fn one_child_at_a_time_bgsave_waits_for_the_rewrite() {
    let server = start_aof(
        Kind::Vitrine,
        scratch_dir("aof-one-child"),
        &["--rdb-key-save-delay", "1000"],
    );
    let mut conn = server.connect();
    thousand_keys_then_rewrite(&mut conn);
    assert_eq!(
        conn.cmd(&["BGREWRITEAOF"]),
        b"-ERR Background append only file rewriting already in progress\r\n"
    );
    assert_eq!(
        conn.cmd(&["BGSAVE"]),
        b"-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n"
    );
    assert_eq!(conn.cmd(&["BGSAVE", "SCHEDULE"]), b"+Background saving scheduled\r\n");
    assert_eq!(info_field(&mut conn, "persistence", "rdb_bgsave_in_progress"), "0");
    wait_for(
        "the scheduled BGSAVE after the rewrite",
        Duration::from_secs(20),
        || {
            info_field(&mut conn, "persistence", "aof_rewrite_in_progress") == "0"
                && info_field(&mut conn, "persistence", "rdb_bgsave_in_progress") == "1"
        },
    );
    assert_eq!(info_field(&mut conn, "persistence", "aof_last_bgrewrite_status"), "ok");
}

/// A replica asking for a full sync during a rewrite waits for it: its
/// snapshot's child starts only once the rewrite's ended.
#[test]
fn a_full_sync_waits_for_the_rewrite() {
    if !redis_available() {
        return;
    }
    let server = start_aof(
        Kind::Vitrine,
        scratch_dir("aof-sync-waits"),
        &["--rdb-key-save-delay", "1000", "--repl-diskless-sync", "no"],
    );
    let mut conn = server.connect();
    thousand_keys_then_rewrite(&mut conn);
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &server.port.to_string()]);
    wait_for("the delayed sync", Duration::from_secs(10), || {
        server
            .log()
            .contains("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed")
    });
    assert_eq!(info_field(&mut conn, "persistence", "rdb_bgsave_in_progress"), "0");
    // The snapshot follows the rewrite (a millisecond a key for both).
    assert_eq!(conn.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]), b"+OK\r\n");
    wait_for("the replica in sync", Duration::from_secs(30), || {
        let mut r = replica.connect();
        info_field(&mut r, "replication", "master_link_status") == "up"
    });
    let log = server.log();
    let rewrite_done = log
        .find("Background AOF rewrite")
        .expect("the rewrite's end in the log");
    let sync_start = log
        .find("Starting BGSAVE for SYNC")
        .expect("the sync's start in the log");
    assert!(rewrite_done < sync_start, "{log}");
    assert_converged(&server, &replica);
}

#[test]
fn an_old_style_aof_with_a_preamble_and_a_tail_is_migrated() {
    // A Redis 6 style appendonly.aof: an RDB, then commands.
    let saver = Server::start(Kind::Vitrine, &[]);
    let mut conn = saver.connect();
    populate(&mut conn);
    assert_eq!(conn.cmd(&["SAVE"]), b"+OK\r\n");
    let mut old = std::fs::read(saver.dir.join("dump.rdb")).expect("dump");
    old.extend(common::encode(&[b"SELECT", b"0"]));
    old.extend(common::encode(&[b"SET", b"from-the-tail", b"1"]));
    old.extend(common::encode(&[b"DEL", b"s"]));
    let place = |dir: &Path| std::fs::write(dir.join("appendonly.aof"), &old).expect("write the old AOF");
    let vitrine_dir = scratch_dir("aof-upgrade");
    place(&vitrine_dir);
    let vitrine = start_aof(Kind::Vitrine, vitrine_dir, &[]);
    let log = vitrine.log();
    assert!(
        log.contains("Successfully migrated an old-style AOF file (appendonly.aof)"),
        "{log}"
    );
    assert!(log.contains("Reading the remaining AOF tail..."), "{log}");
    assert_eq!(
        manifest(&vitrine.dir),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let loaded = Dataset::read_port(vitrine.port).normalized();
    let mut vitrine_conn = vitrine.connect();
    assert_eq!(vitrine_conn.cmd(&["GET", "from-the-tail"]), b"$1\r\n1\r\n");
    assert_eq!(vitrine_conn.cmd(&["EXISTS", "s"]), b":0\r\n");
    if redis_available() {
        let redis_dir = scratch_dir("aof-upgrade-redis");
        place(&redis_dir);
        let redis = start_aof(Kind::Redis, redis_dir, &[]);
        assert_same(
            &Dataset::read_port(redis.port).normalized(),
            "redis",
            &loaded,
            "vitrine",
        );
        assert_eq!(manifest(&redis.dir), manifest(&vitrine.dir));
    }
}
