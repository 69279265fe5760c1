//! Start-up as `redis-server` does it: config files (the seed configs from
//! the original notes), command-line overrides, fatal config errors with
//! Redis's text and exit code 1, daemonize and pid file, the log format.

mod common;

use common::{free_port, scratch_dir, vitrine_binary, Conn, Kind, Server};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed-configs")
        .join(name)
}

/// The folders the seed configs name must exist, as with redis-server.
fn create_seed_dirs() {
    std::fs::create_dir_all("/usr/local/dev/redis/redis-4.0.9/data").expect("seed data dir");
    std::fs::create_dir_all("/usr/local/dev/redis/redis-4.0.9/log").expect("seed log dir");
}

fn config_get(conn: &mut Conn, name: &str) -> String {
    String::from_utf8_lossy(&conn.cmd(&["CONFIG", "GET", name])).into_owned()
}

#[test]
fn seed_master_config_starts_as_it_is() {
    create_seed_dirs();
    let server = Server::start_with(Kind::Vitrine, Some(&fixture("master-6379.conf")), &[]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["PING"]), b"+PONG\r\n");
    assert!(config_get(&mut conn, "appendonly").ends_with("$3\r\nyes\r\n"));
    assert!(config_get(&mut conn, "appendfsync").ends_with("$6\r\nalways\r\n"));
    assert!(config_get(&mut conn, "save").ends_with("$4\r\n10 2\r\n"));
    assert!(config_get(&mut conn, "dbfilename").ends_with("$13\r\ndump-6379.rdb\r\n"));
    assert!(config_get(&mut conn, "databases").ends_with("$2\r\n16\r\n"));
    assert!(config_get(&mut conn, "protected-mode").ends_with("$2\r\nno\r\n"));
    assert_eq!(conn.cmd(&["SELECT", "15"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["SELECT", "16"]), b"-ERR DB index is out of range\r\n");
    // Its persistence runs: no directive is reported inactive, and the
    // AOF directory is there as Redis would create it.
    let log = server.log();
    for directive in ["save", "appendonly", "appendfsync"] {
        assert!(!log.contains(&format!("The '{directive}' directive is set")), "{log}");
    }
    assert!(
        log.contains("Creating AOF incr file appendonly.aof.1.incr.aof on server start"),
        "{log}"
    );
    assert!(server.dir.join("appendonlydir/appendonly.aof.manifest").exists());
}

#[test]
fn seed_replica_config_starts_with_slaveof_overridden() {
    create_seed_dirs();
    let master = Server::start(Kind::Vitrine, &[]);
    let port = master.port.to_string();
    let server = Server::start_with(
        Kind::Vitrine,
        Some(&fixture("slave-6379.conf")),
        &["--slaveof", "127.0.0.1", &port],
    );
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["PING"]), b"+PONG\r\n");
    let replicaof = config_get(&mut conn, "replicaof");
    assert!(replicaof.contains(&format!("127.0.0.1 {}", master.port)), "{replicaof}");
    let role = conn.cmd(&["ROLE"]);
    let expected = format!("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{}\r\n", master.port);
    assert!(
        role.starts_with(expected.as_bytes()),
        "{}",
        String::from_utf8_lossy(&role)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let connecting = format!("Connecting to MASTER 127.0.0.1:{}", master.port);
    while !server.log().contains(&connecting) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(server.log().contains(&connecting), "{}", server.log());
}

/// Runs a binary expecting it to fail; returns (exit code, stderr).
fn run_failing(binary: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn config_errors_match_redis_and_exit_1() {
    let dir = scratch_dir("config-errors");
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "unknown directive",
            vec!["port 7777".into(), "nosuchdirective yes".into()],
        ),
        ("bad integer", vec!["port notanumber".into()]),
        ("out of range", vec!["port 70000".into()]),
        ("bad bool", vec!["daemonize maybe".into()]),
        ("bad enum", vec!["appendfsync sometimes".into()]),
        ("bad memory", vec!["maxmemory 12xb".into()]),
        ("wrong arguments", vec!["port 1 2".into()]),
        ("unbalanced quotes", vec!["dbfilename \"dump.rdb".into()]),
        ("bad save", vec!["save 10".into()]),
        ("missing dir", vec!["dir /nonexistent/vitrine/dir".into()]),
    ];
    for (name, lines) in cases {
        let path = dir.join(format!("{}.conf", name.replace(' ', "-")));
        std::fs::write(&path, lines.join("\n") + "\n").expect("write config");
        let path_text = path.to_string_lossy().into_owned();
        let (redis_code, redis_err) = run_failing(Path::new("redis-server"), &[&path_text]);
        let (vitrine_code, vitrine_err) = run_failing(&vitrine_binary(), &[&path_text]);
        assert_eq!(redis_code, Some(1), "{name}: redis exit");
        assert_eq!(vitrine_code, Some(1), "{name}: vitrine exit");
        assert_eq!(vitrine_err, redis_err, "{name}: stderr differs");
    }
    // The same errors from the command line.
    for args in [
        &["--port", "x"][..],
        &["--nosuch", "1"],
        &["--maxmemory", "1xb"],
        &["--save", "1"],
    ] {
        let (redis_code, redis_err) = run_failing(Path::new("redis-server"), args);
        let (vitrine_code, vitrine_err) = run_failing(&vitrine_binary(), args);
        assert_eq!((redis_code, vitrine_code), (Some(1), Some(1)), "{args:?}");
        assert_eq!(vitrine_err, redis_err, "{args:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn include_and_command_line_override_the_file() {
    let dir = scratch_dir("include");
    let included = dir.join("included.conf");
    std::fs::write(&included, "maxmemory 2mb\nhash-max-listpack-entries 7\n").expect("write");
    let main = dir.join("main.conf");
    std::fs::write(
        &main,
        format!("include {}\nmaxmemory 3mb\ntimeout 5\n", included.display()),
    )
    .expect("write");
    let server = Server::start_with(Kind::Vitrine, Some(&main), &["--timeout", "9"]);
    let mut conn = server.connect();
    assert!(config_get(&mut conn, "maxmemory").ends_with("$7\r\n3145728\r\n"));
    assert!(config_get(&mut conn, "hash-max-listpack-entries").ends_with("$1\r\n7\r\n"));
    assert!(config_get(&mut conn, "timeout").ends_with("$1\r\n9\r\n"));
    // CONFIG REWRITE writes the running values back into the file.
    assert_eq!(conn.cmd(&["CONFIG", "SET", "maxmemory", "4mb"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    let rewritten = std::fs::read_to_string(&main).expect("read back");
    assert!(rewritten.contains("maxmemory 4mb"), "{rewritten}");
    assert!(
        rewritten.contains(&format!("include {}", included.display())),
        "{rewritten}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn daemonize_writes_the_pid_file_and_shutdown_removes_it() {
    let dir = scratch_dir("daemon");
    let port = free_port();
    let pidfile = dir.join("vitrine.pid");
    let logfile = dir.join("vitrine.log");
    let status = Command::new(vitrine_binary())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--daemonize", "yes"])
        .args([
            "--pidfile",
            &pidfile.to_string_lossy(),
            "--logfile",
            &logfile.to_string_lossy(),
        ])
        .args(["--dir", &dir.to_string_lossy()])
        .status()
        .expect("run daemon");
    assert!(status.success(), "the parent process exits 0");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pidfile.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    assert!(Path::new(&format!("/proc/{pid}")).exists(), "daemon alive");
    // The pid file is written before the port is bound: wait for it.
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() >= deadline {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("the daemon never listened on {port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut conn = Conn::connect(port);
    assert_eq!(conn.cmd(&["PING"]), b"+PONG\r\n");
    conn.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(conn.is_closed(Duration::from_secs(5)));
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pidfile.exists(), "pid file removed at shutdown");
    let log = std::fs::read_to_string(&logfile).expect("log");
    let line = regex_like_log_line(log.lines().next().expect("a log line"));
    assert!(line, "log line format: {log}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `pid:M dd Mon yyyy hh:mm:ss.mmm <level> message`
fn regex_like_log_line(line: &str) -> bool {
    let mut parts = line.splitn(7, ' ');
    let (Some(pid_role), Some(day), Some(month), Some(year), Some(time), Some(level)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let pid_ok = pid_role.ends_with(":M") && pid_role[..pid_role.len() - 2].parse::<u32>().is_ok();
    pid_ok
        && day.len() == 2
        && month.len() == 3
        && year.len() == 4
        && time.len() == 12
        && time.as_bytes()[8] == b'.'
        && matches!(level, "." | "-" | "*" | "#")
}

#[test]
fn shutdown_stops_the_server() {
    let mut server = Server::start(Kind::Vitrine, &[]);
    let mut conn = server.connect();
    conn.send(&[b"SHUTDOWN"]);
    assert!(conn.is_closed(Duration::from_secs(5)));
    let status = server.wait_exit(Duration::from_secs(5)).expect("exited");
    assert!(status.success());
    assert!(server.log().contains("ready to exit, bye bye"));
}
