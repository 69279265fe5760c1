//! Engine tests driven with bytes alone: a test host, command round trips,
//! and property tests that feed random and truncated input to the request
//! parser, the frame decoder and the whole command layer.

use super::client::ConnInfo;
use super::{ClientHandle, Engine, Host, HostInfo};
use crate::config::{Config, Id};
use crate::resp::frame::{self, FrameLimits};
use crate::resp::request::{Parsed, RequestLimits, RequestParser};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use proptest::prelude::*;
use std::println;
use std::vec;

/// A host with no operating system behind it.
pub struct TestHost;

impl Host for TestHost {
    fn apply_config(&mut self, _config: &mut Config, _changed: &[Id]) -> Result<(), String> {
        Ok(())
    }
    fn info(&self) -> HostInfo {
        HostInfo::default()
    }
    fn log(&mut self, _level: u8, message: &str) {
        println!("log: {message}");
    }
    fn monotonic_us(&self) -> u64 {
        0
    }
    fn unix_time_us(&self) -> i64 {
        1_700_000_000_000_000
    }
    fn rewrite_config(&mut self, _config: &Config) -> Result<(), String> {
        Err("no config file".into())
    }
}

/// An engine at a fixed time with one connected client.
pub fn engine_with_client() -> (Engine, ClientHandle) {
    let mut engine = Engine::new(Config::new(), [7; 32], Box::new(TestHost), 1_700_000_000_000);
    let handle = connect(&mut engine);
    (engine, handle)
}

/// Connects one more local client.
pub fn connect(engine: &mut Engine) -> ClientHandle {
    engine
        .connect(
            ConnInfo {
                addr: "127.0.0.1:1".into(),
                laddr: "127.0.0.1:6379".into(),
                fd: 1,
                is_local: true,
                unix_socket: false,
            },
            1_700_000_000_000,
        )
        .expect("connect")
}

/// Feeds `input` and returns everything the client got back.
pub fn roundtrip(engine: &mut Engine, handle: ClientHandle, input: &[u8]) -> Vec<u8> {
    if let Some(buffer) = engine.input_buffer(handle) {
        buffer.extend_from_slice(input);
    }
    engine.process_input(handle, 1_700_000_000_000);
    take_output(engine, handle)
}

/// What the client got back since the last call (a blocked client served
/// by another's command).
pub fn take_output(engine: &mut Engine, handle: ClientHandle) -> Vec<u8> {
    let output = engine.output(handle).to_vec();
    engine.consume_output(handle, output.len());
    output
}

/// Sends one inline command line and returns the reply bytes.
pub fn send(engine: &mut Engine, handle: ClientHandle, line: &str) -> Vec<u8> {
    roundtrip(engine, handle, alloc::format!("{line}\r\n").as_bytes())
}

/// Sends one command as a RESP array (arguments too long or too binary
/// for an inline line) and returns the reply bytes.
pub fn send_args<A: AsRef<[u8]>>(engine: &mut Engine, handle: ClientHandle, args: &[A]) -> Vec<u8> {
    roundtrip(engine, handle, &encode_args(args))
}

fn encode_args<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = alloc::format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(alloc::format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What the engine propagated since the last call, one line per command.
pub fn propagated(engine: &mut Engine) -> Vec<String> {
    engine
        .take_propagated()
        .iter()
        .map(|p| {
            let words: Vec<String> = p
                .args
                .as_args()
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            words.join(" ")
        })
        .collect()
}

#[test]
fn writes_propagate_their_effects() {
    let (mut engine, client) = engine_with_client();
    engine.record_propagation(true);
    roundtrip(
        &mut engine,
        client,
        b"SET a 1 EX 100\r\nGET a\r\nINCRBYFLOAT f 1.5\r\nMULTI\r\nINCR a\r\nINCR a\r\nEXEC\r\n",
    );
    assert_eq!(
        propagated(&mut engine),
        [
            "SET a 1 PXAT 1700000100000",
            "SET f 1.5 KEEPTTL",
            "MULTI",
            "INCR a",
            "INCR a",
            "EXEC"
        ]
    );
}

/// Every command name of the table, for the random command generator.
fn command_names() -> Vec<String> {
    let table = crate::cmd::table::CommandTable::new();
    table.top_level().map(|e| String::from(e.command.name)).collect()
}

fn argument() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"k".to_vec()),
        Just(b"k2".to_vec()),
        Just(b"0".to_vec()),
        Just(b"-1".to_vec()),
        Just(b"1.5".to_vec()),
        Just(b"inf".to_vec()),
        Just(b"9223372036854775807".to_vec()),
        Just(b"-9223372036854775808".to_vec()),
        Just(b"NX".to_vec()),
        Just(b"EX".to_vec()),
        Just(b"WITHSCORES".to_vec()),
        Just(b"LIMIT".to_vec()),
        Just(b"*".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Random bytes, cut anywhere: the request parser never panics and
    /// never reports more consumed bytes than it was given.
    #[test]
    fn request_parser_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512), cut in 0usize..512) {
        let limits = RequestLimits { max_bulk_len: 1 << 20, unauthenticated: false };
        let mut parser = RequestParser::new();
        let cut = cut.min(bytes.len());
        let mut buffer = bytes[..cut].to_vec();
        for round in 0..2 {
            loop {
                match parser.parse(&buffer, &limits) {
                    Parsed::Command => { let _ = parser.args(&buffer).len(); }
                    Parsed::Empty => {}
                    Parsed::Incomplete | Parsed::Error(_) => break,
                }
            }
            prop_assert!(parser.position() <= buffer.len());
            let consumed = parser.consumable();
            buffer.drain(..consumed);
            parser.rebase(consumed);
            if round == 0 {
                buffer.extend_from_slice(&bytes[cut..]);
            }
        }
    }

    /// Random bytes into the reply decoder: an error or a frame, no panic.
    #[test]
    fn frame_decoder_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = frame::parse(&bytes, &FrameLimits::default());
    }

    /// Random commands with random arguments, all of them through the
    /// engine: each gets exactly one well-formed reply, nothing panics.
    #[test]
    fn command_layer_survives_random_commands(
        commands in proptest::collection::vec((0usize..1000, proptest::collection::vec(argument(), 0..6)), 1..24)
    ) {
        let names = command_names();
        let (mut engine, client) = engine_with_client();
        for (index, args) in commands {
            let name = &names[index % names.len()];
            // Commands that end or stall the connection are not interesting here.
            if matches!(name.as_str(), "quit" | "shutdown" | "debug" | "subscribe" | "psubscribe" | "ssubscribe"
                | "blpop" | "brpop" | "blmove" | "brpoplpush" | "blmpop" | "bzpopmin" | "bzpopmax" | "bzmpop"
                | "client" | "multi" | "reset" | "hello" | "wait" | "sync" | "psync" | "replconf") {
                continue;
            }
            let mut command = alloc::vec![name.as_bytes().to_vec()];
            command.extend(args);
            let out = roundtrip(&mut engine, client, &encode_args(&command));
            // One or more complete replies (UNSUBSCRIBE answers per channel), nothing else.
            let mut rest = &out[..];
            prop_assert!(!rest.is_empty(), "command {:?} got no reply", command);
            while !rest.is_empty() {
                let len = frame::check(rest, &FrameLimits::default());
                prop_assert!(len.is_ok(), "command {:?} replied {:?}", command, String::from_utf8_lossy(&out));
                rest = &rest[len.unwrap_or(rest.len())..];
            }
        }
    }
}

#[test]
fn pause_holds_a_client_that_was_paused_before() {
    let (mut engine, first) = engine_with_client();
    let local = ConnInfo {
        is_local: true,
        ..ConnInfo::default()
    };
    let second = engine.connect(local, 1_700_000_000_000).expect("second client");
    assert_eq!(roundtrip(&mut engine, first, b"CLIENT PAUSE 300 WRITE\r\n"), b"+OK\r\n");
    assert_eq!(roundtrip(&mut engine, second, b"SET k v\r\n"), b"");
    assert_eq!(roundtrip(&mut engine, first, b"CLIENT UNPAUSE\r\n"), b"+OK\r\n");
    assert_eq!(engine.output(second), b"+OK\r\n");
    engine.consume_output(second, 5);
    assert_eq!(roundtrip(&mut engine, first, b"CLIENT PAUSE 100\r\n"), b"+OK\r\n");
    assert_eq!(roundtrip(&mut engine, second, b"PING\r\n"), b"");
}

#[test]
fn protected_mode_refuses_remote_clients_without_a_password() {
    let mut engine = Engine::new(Config::new(), [1; 32], Box::new(TestHost), 0);
    let remote = ConnInfo {
        addr: "10.0.0.2:5000".into(),
        ..ConnInfo::default()
    };
    let refusal = engine.connect(remote.clone(), 0).expect_err("refused");
    assert!(refusal.starts_with(b"-DENIED Redis is running in protected mode"));
    let mut config = Config::new();
    config.apply_line(&[b"protected-mode", b"no"]).expect("config");
    let mut open = Engine::new(config, [1; 32], Box::new(TestHost), 0);
    assert!(open.connect(remote, 0).is_ok());
}
