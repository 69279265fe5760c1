//! RDB persistence end to end: SAVE and restart, BGSAVE by fork while
//! clients write, save points, LASTSAVE, FLUSHALL, SHUTDOWN and SIGTERM,
//! DEBUG RELOAD, a corrupt dump at start-up, a failing save (MISCONF),
//! and a dump that `redis-check-rdb` and `redis-server` accept. Where
//! Redis's figures are compared, a `redis-server` runs side by side.

mod common;

use common::{redis_available, scratch_dir, vitrine_binary, Conn, Kind, Server};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The value of `field` in `INFO persistence`.
fn info_field(conn: &mut Conn, field: &str) -> String {
    let reply = String::from_utf8_lossy(&conn.cmd(&["INFO", "persistence"])).into_owned();
    reply
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {reply}"))
        .trim()
        .to_string()
}

/// Starts a server of `kind` whose `dir` is `dir`.
fn start_in(kind: Kind, dir: &Path, extra: &[&str]) -> Server {
    let dir = dir.to_string_lossy().into_owned();
    let mut args = vec!["--dir", dir.as_str(), "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Server::start_with(kind, None, &args)
}

/// Polls `condition` every 20 ms for up to `timeout`.
fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn set_keys(conn: &mut Conn, prefix: &str, count: usize) {
    let mut pipeline = Vec::new();
    for i in 0..count {
        pipeline.extend(common::encode(&[
            b"SET",
            format!("{prefix}{i}").as_bytes(),
            format!("value-{i}").as_bytes(),
        ]));
    }
    conn.send_raw(&pipeline);
    for _ in 0..count {
        assert_eq!(conn.read_reply(), b"+OK\r\n");
    }
}

#[test]
fn save_then_restart_loads_the_same_data() {
    let dir = scratch_dir("persist-save");
    {
        let server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
        let mut conn = server.connect();
        set_keys(&mut conn, "k", 100);
        conn.cmd(&["SET", "binary", "a\0b"]);
        conn.cmd(&["SET", "ttl", "x", "EX", "1000"]);
        // Saved while expired (no active expiry), dropped by the load.
        conn.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        conn.cmd(&["SET", "gone", "x", "PX", "1"]);
        std::thread::sleep(Duration::from_millis(5));
        conn.cmd(&["SELECT", "5"]);
        conn.cmd(&["SET", "in5", "five"]);
        conn.cmd(&["RPUSH", "list", "a", "1", "b"]);
        conn.cmd(&["HSET", "hash", "f", "v", "n", "2"]);
        conn.cmd(&["SADD", "ints", "3", "1", "2"]);
        conn.cmd(&["SADD", "words", "x", "y"]);
        conn.cmd(&["ZADD", "zset", "2.5", "b", "1", "a"]);
        assert_eq!(info_field(&mut conn, "rdb_changes_since_last_save"), "116");
        assert_eq!(conn.cmd(&["SAVE"]), b"+OK\r\n");
        assert_eq!(info_field(&mut conn, "rdb_changes_since_last_save"), "0");
        assert_eq!(info_field(&mut conn, "rdb_saves"), "1");
        assert!(server.log().contains("* DB saved on disk"));
    }
    let server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["DBSIZE"]), b":102\r\n");
    assert_eq!(conn.cmd(&["GET", "k42"]), b"$8\r\nvalue-42\r\n");
    assert_eq!(conn.cmd(&["GET", "binary"]), b"$3\r\na\0b\r\n");
    let ttl = String::from_utf8_lossy(&conn.cmd(&["TTL", "ttl"])).into_owned();
    assert!(ttl.starts_with(":99") || ttl == ":1000\r\n", "{ttl}");
    conn.cmd(&["SELECT", "5"]);
    assert_eq!(conn.cmd(&["GET", "in5"]), b"$4\r\nfive\r\n");
    assert_eq!(
        conn.cmd(&["LRANGE", "list", "0", "-1"]),
        b"*3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n"
    );
    assert_eq!(conn.cmd(&["HGET", "hash", "n"]), b"$1\r\n2\r\n");
    assert_eq!(conn.cmd(&["OBJECT", "ENCODING", "ints"]), b"$6\r\nintset\r\n");
    assert_eq!(conn.cmd(&["SCARD", "words"]), b":2\r\n");
    assert_eq!(
        conn.cmd(&["ZRANGE", "zset", "0", "-1", "WITHSCORES"]),
        b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n"
    );
    assert_eq!(info_field(&mut conn, "rdb_last_load_keys_loaded"), "108");
    assert_eq!(info_field(&mut conn, "rdb_last_load_keys_expired"), "1");
    let log = server.log();
    assert!(log.contains("Loading RDB produced by version 7.0.15"), "{log}");
    assert!(log.contains("DB loaded from disk: "), "{log}");
    assert!(
        log.contains("Done loading RDB, keys loaded: 108, keys expired: 1."),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_forks_a_snapshot_while_clients_write() {
    let dir = scratch_dir("persist-bgsave");
    {
        // 2 ms per key: the child needs about a second for 500 keys.
        let server = start_in(Kind::Vitrine, &dir, &["--save", "", "--rdb-key-save-delay", "2000"]);
        let mut conn = server.connect();
        set_keys(&mut conn, "before", 500);
        assert_eq!(conn.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
        assert_eq!(info_field(&mut conn, "rdb_bgsave_in_progress"), "1");
        assert_eq!(conn.cmd(&["BGSAVE"]), b"-ERR Background save already in progress\r\n");
        assert_eq!(conn.cmd(&["SAVE"]), b"-ERR Background save already in progress\r\n");
        // The server keeps answering at once while the child writes.
        let started = Instant::now();
        set_keys(&mut conn, "after", 50);
        conn.cmd(&["DEL", "before0"]);
        assert!(started.elapsed() < Duration::from_millis(500));
        assert!(eventually(Duration::from_secs(20), || {
            info_field(&mut conn, "rdb_bgsave_in_progress") == "0"
        }));
        assert_eq!(info_field(&mut conn, "rdb_last_bgsave_status"), "ok");
        // Only the changes made after the fork remain unsaved.
        assert_eq!(info_field(&mut conn, "rdb_changes_since_last_save"), "51");
        assert_eq!(info_field(&mut conn, "rdb_saves"), "1");
        let log = server.log();
        assert!(log.contains("Background saving started by pid"), "{log}");
        assert!(log.contains(":C "), "the child logs as C: {log}");
        assert!(log.contains("Background saving terminated with success"), "{log}");
        assert!(!log.contains("panicked"), "{log}");
        assert!(!dir
            .read_dir()
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().starts_with("temp-")));
    }
    // The dump is the keyspace as it was at the fork.
    let server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["DBSIZE"]), b":500\r\n");
    assert_eq!(conn.cmd(&["EXISTS", "before0", "after0"]), b":1\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crash_mid_save_leaves_the_previous_dump_whole() {
    let dir = scratch_dir("persist-crash");
    let server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
    let mut conn = server.connect();
    set_keys(&mut conn, "old", 50);
    assert_eq!(conn.cmd(&["SAVE"]), b"+OK\r\n");
    let dump = dir.join("dump.rdb");
    let before = std::fs::read(&dump).expect("first dump");
    set_keys(&mut conn, "new", 300);
    // 10 ms per key: the child takes seconds, and dies half-way.
    conn.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "10000"]);
    assert_eq!(conn.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    let mut child = None;
    assert!(eventually(Duration::from_secs(10), || {
        child = dir.read_dir().unwrap().find_map(|entry| {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix("temp-")?.strip_suffix(".rdb")?.parse::<u32>().ok()?;
            (pid != server.pid()).then_some(pid)
        });
        child.is_some()
    }));
    let child = child.expect("the child's temp file");
    std::thread::sleep(Duration::from_millis(200));
    let killed = Command::new("kill")
        .args(["-9", &child.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert!(eventually(Duration::from_secs(10), || {
        info_field(&mut conn, "rdb_bgsave_in_progress") == "0"
    }));
    assert_eq!(info_field(&mut conn, "rdb_last_bgsave_status"), "err");
    assert_eq!(std::fs::read(&dump).expect("dump"), before, "the old dump is untouched");
    drop(conn);
    drop(server);
    let server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
    assert_eq!(server.connect().cmd(&["DBSIZE"]), b":50\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_schedule_and_inside_a_transaction() {
    let server = Server::start(Kind::Vitrine, &[]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["BGSAVE", "SCHEDULE"]), b"+Background saving started\r\n");
    assert!(eventually(Duration::from_secs(10), || {
        info_field(&mut conn, "rdb_bgsave_in_progress") == "0"
    }));
    assert_eq!(conn.cmd(&["BGSAVE", "NOW"]), b"-ERR syntax error\r\n");
    assert_eq!(conn.cmd(&["BGSAVE", "SCHEDULE", "x"]), b"-ERR syntax error\r\n");
    assert_eq!(conn.cmd(&["MULTI"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["BGSAVE"]), b"+QUEUED\r\n");
    assert_eq!(conn.cmd(&["EXEC"]), b"*1\r\n+Background saving scheduled\r\n");
    // The scheduled save starts from cron.
    assert!(eventually(Duration::from_secs(10), || info_field(
        &mut conn,
        "rdb_saves"
    ) == "2"));
    assert_eq!(conn.cmd(&["MULTI"]), b"+OK\r\n");
    assert_eq!(
        conn.cmd(&["SAVE"]),
        b"-ERR Command not allowed inside a transaction\r\n"
    );
}

#[test]
fn save_point_triggers_a_background_save_and_lastsave_moves() {
    let server = Server::start(Kind::Vitrine, &["--save", "1 1"]);
    let mut conn = server.connect();
    let before = conn.cmd(&["LASTSAVE"]);
    std::thread::sleep(Duration::from_millis(1100));
    conn.cmd(&["SET", "a", "1"]);
    assert!(
        eventually(Duration::from_secs(4), || server.dir.join("dump.rdb").exists()),
        "{}",
        server.log()
    );
    assert!(eventually(Duration::from_secs(4), || {
        info_field(&mut conn, "rdb_changes_since_last_save") == "0"
    }));
    assert_ne!(conn.cmd(&["LASTSAVE"]), before);
    assert_eq!(info_field(&mut conn, "rdb_last_bgsave_time_sec"), "0");
    assert!(server.log().contains("1 changes in 1 seconds. Saving..."));
}

/// FLUSHALL with and without save points, beside redis-server.
#[test]
fn flushall_saves_and_resets_the_counter_as_redis_does() {
    if !redis_available() {
        return;
    }
    for save in ["1000 1000", ""] {
        let mut figures = Vec::new();
        for kind in [Kind::Redis, Kind::Vitrine] {
            let server = Server::start(kind, &["--save", save]);
            let mut conn = server.connect();
            set_keys(&mut conn, "k", 3);
            assert_eq!(conn.cmd(&["FLUSHALL"]), b"+OK\r\n");
            let dump = server.dir.join("dump.rdb");
            figures.push((
                info_field(&mut conn, "rdb_changes_since_last_save"),
                info_field(&mut conn, "rdb_saves"),
                dump.exists(),
            ));
            conn.cmd(&["SET", "x", "1"]);
            figures.push((
                info_field(&mut conn, "rdb_changes_since_last_save"),
                String::new(),
                false,
            ));
            if save.is_empty() {
                continue;
            }
            let check = Command::new("redis-check-rdb")
                .arg(&dump)
                .output()
                .expect("redis-check-rdb");
            let text = String::from_utf8_lossy(&check.stdout).into_owned();
            assert!(text.contains("0 keys read"), "{kind:?}: {text}");
        }
        assert_eq!(figures[0..2], figures[2..4], "save {save:?}");
    }
}

#[test]
fn shutdown_nosave_save_and_errors() {
    let dir = scratch_dir("persist-shutdown");
    let dump = dir.join("dump.rdb");
    {
        let mut server = start_in(Kind::Vitrine, &dir, &["--save", "1000 1000"]);
        let mut conn = server.connect();
        conn.cmd(&["SET", "a", "1"]);
        assert_eq!(conn.cmd(&["SHUTDOWN", "NOSAVE", "SAVE"]), b"-ERR syntax error\r\n");
        conn.send(&[b"SHUTDOWN", b"NOSAVE"]);
        assert!(server.wait_exit(Duration::from_secs(10)).is_some());
        assert!(!dump.exists());
    }
    {
        let mut server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
        let mut conn = server.connect();
        conn.cmd(&["SET", "a", "1"]);
        // A directory where the temporary file should go: the save fails.
        let temp = dir.join(format!("temp-{}.rdb", server.pid()));
        std::fs::create_dir(&temp).expect("blocking dir");
        assert_eq!(
            conn.cmd(&["SHUTDOWN", "SAVE"]),
            b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        );
        assert_eq!(conn.cmd(&["PING"]), b"+PONG\r\n");
        let log = server.log();
        assert!(log.contains("Failed opening the temp RDB file temp-"), "{log}");
        assert!(log.contains("Error trying to save the DB, can't exit."), "{log}");
        std::fs::remove_dir(&temp).expect("unblock");
        conn.send(&[b"SHUTDOWN", b"SAVE"]);
        let status = server.wait_exit(Duration::from_secs(10)).expect("exited");
        assert!(status.success());
        assert!(dump.exists());
        assert!(server.log().contains("Saving the final RDB snapshot before exiting."));
    }
    {
        let mut server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
        let mut conn = server.connect();
        assert_eq!(conn.cmd(&["GET", "a"]), b"$1\r\n1\r\n");
        std::fs::create_dir(dir.join(format!("temp-{}.rdb", server.pid()))).expect("blocking dir");
        conn.send(&[b"SHUTDOWN", b"SAVE", b"FORCE"]);
        assert!(server.wait_exit(Duration::from_secs(10)).is_some());
        assert!(server.log().contains("Error trying to save the DB. Exit anyway."));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_saves_when_save_points_exist() {
    let dir = scratch_dir("persist-sigterm");
    {
        let mut server = start_in(Kind::Vitrine, &dir, &["--save", "1000 1000"]);
        let mut conn = server.connect();
        conn.cmd(&["SET", "a", "kept"]);
        let status = Command::new("kill")
            .args(["-TERM", &server.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        assert!(server.wait_exit(Duration::from_secs(10)).expect("exited").success());
        let log = server.log();
        assert!(log.contains("Received SIGTERM scheduling shutdown..."), "{log}");
        assert!(log.contains("Saving the final RDB snapshot before exiting."), "{log}");
    }
    let server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
    assert_eq!(server.connect().cmd(&["GET", "a"]), b"$4\r\nkept\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debug_reload_keeps_the_data() {
    let server = Server::start(Kind::Vitrine, &["--enable-debug-command", "yes"]);
    let mut conn = server.connect();
    set_keys(&mut conn, "k", 20);
    assert_eq!(conn.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["DBSIZE"]), b":20\r\n");
    assert_eq!(conn.cmd(&["GET", "k7"]), b"$7\r\nvalue-7\r\n");
    // NOSAVE loads the file as it is: later changes are dropped.
    conn.cmd(&["SET", "late", "1"]);
    assert_eq!(conn.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["EXISTS", "late"]), b":0\r\n");
    // NOFLUSH keeps current keys; a key in both is an error without MERGE.
    conn.cmd(&["SET", "extra", "1"]);
    assert_eq!(conn.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["DBSIZE"]), b":21\r\n");
    assert_eq!(
        conn.cmd(&["DEBUG", "RELOAD", "BOGUS"]),
        b"-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
    assert_eq!(info_field(&mut conn, "rdb_last_load_keys_loaded"), "20");
    assert!(server.log().contains("DB reloaded by DEBUG RELOAD"));
}

/// Runs vitrine over `dir` expecting it to stop by itself.
fn run_to_exit(dir: &Path) -> (Option<i32>, String) {
    let log = dir.join("server.log");
    let mut child = Command::new(vitrine_binary())
        .args(["--port", &common::free_port().to_string(), "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vitrine did not stop on a bad dump");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut text = std::fs::read_to_string(&log).unwrap_or_default();
    if let Some(mut stderr) = child.stderr.take() {
        use std::io::Read;
        let _ = stderr.read_to_string(&mut text);
    }
    (status.code(), text)
}

#[test]
fn a_corrupt_or_truncated_dump_stops_start_up() {
    let dir = scratch_dir("persist-corrupt");
    let dump = dir.join("dump.rdb");
    std::fs::write(&dump, b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfe\x00\x00\x03key").expect("write");
    let (code, log) = run_to_exit(&dir);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("Short read or OOM loading DB. Unrecoverable error, aborting now."),
        "{log}"
    );
    assert!(log.contains("Internal error in RDB reading offset"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(!log.contains("Ready to accept connections"), "{log}");
    std::fs::write(&dump, b"NOTANRDBFILE-AT-ALL").expect("write");
    let (code, log) = run_to_exit(&dir);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("Internal error in RDB reading offset"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_bgsave_denies_writes_with_misconf() {
    let server = Server::start(Kind::Vitrine, &["--save", "1000 1000"]);
    let mut conn = server.connect();
    conn.cmd(&["SET", "a", "1"]);
    // A non-empty directory named like the dump: the rename fails.
    std::fs::create_dir_all(server.dir.join("dump.rdb/inside")).expect("blocking dir");
    assert_eq!(conn.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert!(eventually(Duration::from_secs(10), || {
        info_field(&mut conn, "rdb_last_bgsave_status") == "err"
    }));
    let misconf = b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n";
    assert_eq!(conn.cmd(&["SET", "b", "2"]), misconf);
    assert_eq!(conn.cmd(&["PING"]), misconf);
    assert_eq!(conn.cmd(&["GET", "a"]), b"$1\r\n1\r\n");
    assert_eq!(conn.cmd(&["SAVE"]), b"-ERR\r\n");
    assert!(server.log().contains("Background saving error"));
    assert_eq!(
        conn.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]),
        b"+OK\r\n"
    );
    assert_eq!(conn.cmd(&["SET", "b", "2"]), b"+OK\r\n");
    // A successful save clears the error.
    std::fs::remove_dir_all(server.dir.join("dump.rdb")).expect("unblock");
    assert_eq!(
        conn.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]),
        b"+OK\r\n"
    );
    assert_eq!(conn.cmd(&["SAVE"]), b"+OK\r\n");
    assert_eq!(info_field(&mut conn, "rdb_last_bgsave_status"), "ok");
    assert_eq!(conn.cmd(&["SET", "c", "3"]), b"+OK\r\n");
}

/// A dump written by vitrine passes `redis-check-rdb` and loads in
/// `redis-server` (the broad interop suite is native/tests/rdb.rs).
#[test]
fn a_vitrine_dump_passes_redis_check_rdb_and_loads_in_redis() {
    if !redis_available() {
        return;
    }
    let dir = scratch_dir("persist-interop");
    {
        let server = start_in(Kind::Vitrine, &dir, &["--save", ""]);
        let mut conn = server.connect();
        set_keys(&mut conn, "k", 50);
        conn.cmd(&["SET", "counter", "12345"]);
        conn.cmd(&["SET", "ttl", "x", "EX", "1000"]);
        assert_eq!(conn.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
        assert!(eventually(Duration::from_secs(10), || {
            info_field(&mut conn, "rdb_bgsave_in_progress") == "0"
        }));
    }
    let check = Command::new("redis-check-rdb")
        .arg(dir.join("dump.rdb"))
        .output()
        .expect("redis-check-rdb");
    let text = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(check.status.success(), "{text}");
    assert!(text.contains("RDB looks OK!"), "{text}");
    assert!(text.contains("52 keys read"), "{text}");
    let redis = start_in(Kind::Redis, &dir, &["--save", ""]);
    let mut conn = redis.connect();
    assert_eq!(conn.cmd(&["DBSIZE"]), b":52\r\n");
    assert_eq!(conn.cmd(&["GET", "k3"]), b"$7\r\nvalue-3\r\n");
    assert_eq!(conn.cmd(&["OBJECT", "ENCODING", "counter"]), b"$3\r\nint\r\n");
    drop(conn);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `INFO persistence` has Redis's field names in Redis's order.
#[test]
fn info_persistence_field_names_match_redis() {
    if !redis_available() {
        return;
    }
    let names = |kind| {
        let server = Server::start(kind, &[]);
        let reply = String::from_utf8_lossy(&server.connect().cmd(&["INFO", "persistence"])).into_owned();
        reply
            .lines()
            .filter_map(|line| line.split_once(':').map(|(name, _)| name.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(Kind::Vitrine), names(Kind::Redis));
}

#[test]
fn the_seed_master_config_saves_after_10_seconds_and_2_changes() {
    // The folders the seed config names must exist, as for redis-server;
    // the harness then points `dir` and `logfile` at a scratch folder.
    std::fs::create_dir_all("/usr/local/dev/redis/redis-4.0.9/data").expect("seed data dir");
    std::fs::create_dir_all("/usr/local/dev/redis/redis-4.0.9/log").expect("seed log dir");
    let config =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-configs/master-6379.conf");
    let dir = scratch_dir("persist-seed");
    let dir_text = dir.to_string_lossy().into_owned();
    let dump = dir.join("dump-6379.rdb");
    {
        let server = Server::start_with(Kind::Vitrine, Some(&config), &["--dir", &dir_text]);
        let mut conn = server.connect();
        let started = Instant::now();
        conn.cmd(&["SET", "a", "1"]);
        conn.cmd(&["SET", "b", "2"]);
        assert!(
            eventually(Duration::from_secs(20), || dump.exists()),
            "{}",
            server.log()
        );
        assert!(
            started.elapsed() >= Duration::from_secs(9),
            "saved before the 10 s of `save 10 2`"
        );
        let log = server.log();
        assert!(log.contains("2 changes in 10 seconds. Saving..."), "{log}");
        assert!(eventually(Duration::from_secs(10), || {
            info_field(&mut conn, "rdb_bgsave_in_progress") == "0"
        }));
    }
    let server = Server::start_with(Kind::Vitrine, Some(&config), &["--dir", &dir_text]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["MGET", "a", "b"]), b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}
