//! Real clients against vitrine: the `redis` crate (a client library),
//! `redis-cli` (including `--pipe` mass insertion), and connection limits
//! that real clients run into.

mod common;

use common::{Kind, Server};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn redis_crate_client_works() {
    let server = Server::start(Kind::Vitrine, &[]);
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", server.port)).expect("client");
    let mut conn = client.get_connection().expect("connect");
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg("hello")
        .query(&mut conn)
        .expect("set");
    let value: String = redis::cmd("GET").arg("greeting").query(&mut conn).expect("get");
    assert_eq!(value, "hello");
    let counter: i64 = redis::cmd("INCRBY").arg("n").arg(41).query(&mut conn).expect("incrby");
    assert_eq!(counter, 41);
    let (a, b): (i64, String) = redis::pipe()
        .cmd("INCR")
        .arg("n")
        .cmd("GETSET")
        .arg("greeting")
        .arg("bye")
        .query(&mut conn)
        .expect("pipeline");
    assert_eq!((a, b.as_str()), (42, "hello"));
    let (x, y): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("t")
        .cmd("INCR")
        .arg("t")
        .query(&mut conn)
        .expect("transaction");
    assert_eq!((x, y), (1, 2));
    let missing: Option<String> = redis::cmd("GET").arg("nothing").query(&mut conn).expect("nil");
    assert_eq!(missing, None);
    let error = redis::cmd("INCR").arg("greeting").query::<i64>(&mut conn).unwrap_err();
    assert!(error.to_string().contains("not an integer"), "{error}");
    // Pub/sub through the library.
    let mut subscriber = client.get_connection().expect("connect");
    let mut pubsub = subscriber.as_pubsub();
    pubsub.subscribe("news").expect("subscribe");
    let receivers: i64 = redis::cmd("PUBLISH")
        .arg("news")
        .arg("flash")
        .query(&mut conn)
        .expect("publish");
    assert_eq!(receivers, 1);
    pubsub.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let message = pubsub.get_message().expect("message");
    assert_eq!(message.get_channel_name(), "news");
    assert_eq!(message.get_payload::<String>().expect("payload"), "flash");
}

fn redis_cli(port: u16, args: &[&str], stdin: Option<&[u8]>) -> String {
    let mut child = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("redis-cli");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(bytes) = stdin {
            input.write_all(bytes).expect("write stdin");
        }
    }
    let output = child.wait_with_output().expect("redis-cli output");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn redis_cli_commands_and_pipe_mass_insertion() {
    let server = Server::start(Kind::Vitrine, &[]);
    assert_eq!(redis_cli(server.port, &["SET", "k", "v"], None).trim(), "OK");
    assert_eq!(redis_cli(server.port, &["GET", "k"], None).trim(), "v");
    assert_eq!(redis_cli(server.port, &["--raw", "INCR", "c"], None).trim(), "1");
    let mut input = Vec::new();
    for i in 0..100_000 {
        let key = format!("key:{i}");
        let value = format!("value:{i}");
        input.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
                key.len(),
                value.len()
            )
            .as_bytes(),
        );
    }
    let report = redis_cli(server.port, &["--pipe"], Some(&input));
    assert!(report.contains("errors: 0, replies: 100000"), "{report}");
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["GET", "key:99999"]), b"$11\r\nvalue:99999\r\n");
    // redis-cli reads INFO and COMMAND DOCS when it starts interactively;
    // --no-raw output of INFO must parse as fields.
    let info = redis_cli(server.port, &["INFO", "server"], None);
    assert!(info.contains("redis_version:7.0.15"), "{info}");
}

#[test]
fn maxclients_refuses_extra_connections_like_redis() {
    for kind in [Kind::Redis, Kind::Vitrine] {
        let server = Server::start(kind, &["--maxclients", "2"]);
        let mut first = server.connect();
        let mut second = server.connect();
        assert_eq!(first.cmd(&["PING"]), b"+PONG\r\n");
        assert_eq!(second.cmd(&["PING"]), b"+PONG\r\n");
        let mut third = server.connect();
        let refused = third.try_read_reply(Duration::from_secs(5)).expect("an error reply");
        assert_eq!(refused, b"-ERR max number of clients reached\r\n", "{kind:?}");
        assert!(third.is_closed(Duration::from_secs(2)), "{kind:?}");
    }
}

#[test]
fn requirepass_gates_commands_like_redis() {
    let replies: Vec<Vec<Vec<u8>>> = [Kind::Redis, Kind::Vitrine]
        .into_iter()
        .map(|kind| {
            let server = Server::start(kind, &["--requirepass", "secret"]);
            let mut conn = server.connect();
            let mut replies = vec![
                conn.cmd(&["GET", "k"]),
                conn.cmd(&["AUTH", "wrong"]),
                conn.cmd(&["AUTH", "default", "wrong"]),
                conn.cmd(&["HELLO", "2"]),
                conn.cmd(&["PING"]),
                conn.cmd(&["AUTH", "secret"]),
                conn.cmd(&["GET", "k"]),
            ];
            let mut other = server.connect();
            replies.push(
                other
                    .cmd(&["HELLO", "2", "AUTH", "default", "secret"])
                    .len()
                    .to_string()
                    .into_bytes(),
            );
            replies.push(other.cmd(&["SET", "k", "v"]));
            // Unauthenticated clients may not send big requests.
            let mut big = server.connect();
            big.send_raw(b"*20\r\n");
            replies.push(big.read_reply());
            replies
        })
        .collect();
    assert_eq!(replies[0], replies[1]);
}

#[test]
fn query_buffer_limit_closes_only_the_offending_client() {
    for kind in [Kind::Redis, Kind::Vitrine] {
        let server = Server::start(kind, &["--client-query-buffer-limit", "1mb"]);
        let mut good = server.connect();
        let mut bad = server.connect();
        // A bulk that never completes grows the query buffer past 1mb.
        bad.send_raw(b"*2\r\n$3\r\nSET\r\n$10000000\r\n");
        let chunk = vec![b'x'; 64 * 1024];
        // The server may close the connection before all of it is sent.
        for _ in 0..32 {
            if !bad.try_send_raw(&chunk) {
                break;
            }
        }
        assert!(bad.is_closed(Duration::from_secs(5)), "{kind:?} kept the client");
        assert_eq!(good.cmd(&["PING"]), b"+PONG\r\n", "{kind:?}");
    }
}

#[test]
fn random_bytes_never_take_the_server_down() {
    let server = Server::start(Kind::Vitrine, &[]);
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let fragments: [&[u8]; 8] = [b"*", b"$", b"\r\n", b"-1", b"99999999999", b"SET", b"\"", b"PING"];
    for _ in 0..200 {
        let mut conn = server.connect();
        let mut bytes = Vec::new();
        for _ in 0..(next() % 64) {
            if next() % 2 == 0 {
                bytes.extend_from_slice(fragments[(next() % 8) as usize]);
            } else {
                bytes.push(next() as u8);
            }
        }
        conn.send_raw(&bytes);
        // Whatever comes back, if anything, must be whole replies.
        let _ = conn.try_read_reply(Duration::from_millis(5));
    }
    let mut fresh = server.connect();
    assert_eq!(fresh.cmd(&["PING"]), b"+PONG\r\n");
    assert!(!server.log().contains("panicked"));
}

#[test]
fn idle_clients_are_closed_after_timeout_like_redis() {
    for kind in [Kind::Redis, Kind::Vitrine] {
        let server = Server::start(kind, &["--timeout", "1"]);
        let mut idle = server.connect();
        let mut subscriber = server.connect();
        assert_eq!(idle.cmd(&["PING"]), b"+PONG\r\n");
        subscriber.cmd(&["SUBSCRIBE", "ch"]);
        assert!(idle.is_closed(Duration::from_secs(4)), "{kind:?} kept an idle client");
        // Subscribed clients are never closed for idleness.
        let mut publisher = server.connect();
        assert_eq!(publisher.cmd(&["PUBLISH", "ch", "still here"]), b":1\r\n", "{kind:?}");
    }
}

#[test]
fn slow_subscribers_are_cut_off_at_the_pubsub_output_limit() {
    for kind in [Kind::Redis, Kind::Vitrine] {
        let server = Server::start(kind, &["--client-output-buffer-limit", "pubsub 256kb 128kb 60"]);
        let mut subscriber = server.connect();
        assert!(!subscriber.cmd(&["SUBSCRIBE", "firehose"]).is_empty());
        // The subscriber never reads; the publisher fills its buffer.
        let mut publisher = server.connect();
        let message = "x".repeat(64 * 1024);
        // Kernel socket buffers absorb a few megabytes first.
        let mut published = 0;
        while publisher.cmd(&["PUBLISH", "firehose", &message]) == b":1\r\n" {
            published += 1;
            assert!(published < 4000, "{kind:?}: subscriber never cut off");
        }
        assert!(
            server
                .log()
                .contains("scheduled to be closed ASAP for overcoming of output buffer limits"),
            "{kind:?}"
        );
        assert_eq!(publisher.cmd(&["PING"]), b"+PONG\r\n");
    }
}
