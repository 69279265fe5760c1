//! `ReplicaLink` driven with byte scripts.

use super::link::{Failure, State, Step};
use super::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use std::vec;

/// Events with chunks merged, owned.
#[derive(Debug, PartialEq)]
enum Ev {
    Other(String),
    Rdb(Vec<u8>),
    Stream(Vec<u8>),
}

fn collect(link: &mut ReplicaLink, now: i64, bytes: &[u8], step: usize, out: &mut Vec<Ev>) {
    for chunk in bytes.chunks(step.max(1)) {
        let mut input = link.handle_input(now, chunk);
        while let Some(event) = input.next_event() {
            match (event, out.last_mut()) {
                (Event::RdbChunk(c), Some(Ev::Rdb(acc))) => acc.extend_from_slice(c),
                (Event::RdbChunk(c), _) => out.push(Ev::Rdb(c.to_vec())),
                (Event::Stream(c), Some(Ev::Stream(acc))) => acc.extend_from_slice(c),
                (Event::Stream(c), _) => out.push(Ev::Stream(c.to_vec())),
                (other, _) => out.push(Ev::Other(format!("{other:?}"))),
            }
        }
    }
}

fn feed(link: &mut ReplicaLink, bytes: &[u8], step: usize) -> Vec<Ev> {
    let mut out = Vec::new();
    collect(link, 0, bytes, step, &mut out);
    out
}

fn output(link: &mut ReplicaLink) -> Vec<u8> {
    let mut out = Vec::new();
    link.poll_output(&mut out);
    out
}

fn config() -> LinkConfig {
    LinkConfig {
        listening_port: 6380,
        timeout_ms: 60_000,
        ..LinkConfig::default()
    }
}

fn connected(config: LinkConfig) -> ReplicaLink {
    let mut link = ReplicaLink::new(config);
    link.handle_connected(0);
    assert_eq!(link.poll_event(), Some(Event::Connected));
    assert_eq!(output(&mut link), b"*1\r\n$4\r\nPING\r\n");
    link
}

const ID: &[u8; 40] = b"0123456789abcdef0123456789abcdef01234567";
const ID2: &[u8; 40] = b"fedcba9876543210fedcba9876543210fedcba98";
/// An EOF mark with no repeated prefix (a random one has none in practice).
const MARK: &[u8; 40] = b"0a1b2c3d4e5f6789abcdef0123456789fedcba98";

fn other(text: &str) -> Ev {
    Ev::Other(text.into())
}

/// Through the handshake to the PSYNC reply, without AUTH.
fn to_psync(step: usize, resume: Option<(ReplId, i64)>) -> ReplicaLink {
    let mut link = connected(LinkConfig { resume, ..config() });
    let events = feed(&mut link, b"+PONG\r\n", step);
    assert_eq!(events, [other("Handshake(PingReplied)")]);
    assert_eq!(
        output(&mut link),
        b"*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n"
    );
    let events = feed(&mut link, b"+OK\r\n+OK\r\n", step);
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(link.state(), State::ReceivePsyncReply);
    link
}

#[test]
fn full_handshake_with_auth_and_ip_then_sized_rdb_and_stream() {
    for step in [1, 2, 3, 7, 1000] {
        let mut link = connected(LinkConfig {
            masteruser: Some(b"repl".to_vec()),
            masterauth: Some(b"secret".to_vec()),
            announce_ip: Some(b"10.0.0.9".to_vec()),
            ..config()
        });
        assert_eq!(link.state(), State::ReceivePingReply);
        // An authentication error to PING is fine: AUTH comes next.
        let events = feed(&mut link, b"-NOAUTH Authentication required.\r\n", step);
        assert_eq!(events, [other("Handshake(PingReplied)")]);
        assert_eq!(
            output(&mut link),
            [
                b"*3\r\n$4\r\nAUTH\r\n$4\r\nrepl\r\n$6\r\nsecret\r\n".as_slice(),
                b"*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n",
                b"*3\r\n$8\r\nREPLCONF\r\n$10\r\nip-address\r\n$8\r\n10.0.0.9\r\n",
                b"*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n",
            ]
            .concat()
        );
        assert_eq!(link.state(), State::ReceiveAuthReply);
        let events = feed(&mut link, b"+OK\r\n-ERR unknown\r\n+OK\r\n+OK\r\n", step);
        assert_eq!(events.len(), 5, "{events:?}");
        assert_eq!(events[0], other("Handshake(Authenticated)"));
        assert_eq!(output(&mut link), b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n");
        let script = [
            b"\n\n+FULLRESYNC ".as_slice(),
            ID,
            b" 1000\r\n\n\n$5\r\nREDIS",
            b"*1\r\n$4\r\nPING\r\n",
        ]
        .concat();
        let events = feed(&mut link, &script, step);
        assert_eq!(
            events,
            [
                other(&format!(
                    "FullResync {{ replid: ReplId({}), offset: 1000 }}",
                    String::from_utf8_lossy(ID)
                )),
                other("RdbStart { size: Some(5) }"),
                Ev::Rdb(b"REDIS".to_vec()),
                other("RdbEnd"),
                Ev::Stream(b"*1\r\n$4\r\nPING\r\n".to_vec()),
            ]
        );
        assert_eq!(link.state(), State::Connected);
        // No ACK after a sized RDB; the stream is counted.
        assert_eq!(output(&mut link), b"");
        assert_eq!(link.read_reploff(), 1014);
        assert_eq!(link.reploff(), 1000);
        link.handle_applied(14);
        link.send_ack();
        assert_eq!(
            output(&mut link),
            b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$4\r\n1014\r\n"
        );
        assert_eq!(link.resume_point(), Some((ReplId::parse(ID).unwrap(), 1014)));
    }
}

fn eof_script(rdb: &[u8], mark: &[u8; 40], tail: &[u8]) -> Vec<u8> {
    [b"$EOF:".as_slice(), mark, b"\r\n", rdb, mark, tail].concat()
}

#[test]
fn eof_framing_with_the_mark_split_anywhere() {
    // RDB bytes that contain prefixes of the mark, to tempt a bad matcher.
    let mut rdb = b"REDIS0010".to_vec();
    rdb.extend_from_slice(&MARK[..39]);
    rdb.extend_from_slice(b"xx");
    rdb.extend_from_slice(&MARK[..10]);
    for len in [0, 5, 39, 40, 41, 100] {
        let rdb = &rdb[..len.min(rdb.len())];
        let script = eof_script(rdb, MARK, b"*1\r\n$4\r\nPING\r\n");
        for step in [1, 2, 3, 13, 39, 40, 41, 64, 1000] {
            let mut link = to_psync(step, None);
            output(&mut link);
            let mut events = feed(&mut link, &[b"+FULLRESYNC ".as_slice(), ID, b" 7\r\n"].concat(), step);
            events.extend(feed(&mut link, &script, step));
            let mut expect = vec![
                other(&format!(
                    "FullResync {{ replid: ReplId({}), offset: 7 }}",
                    String::from_utf8_lossy(ID)
                )),
                other("RdbStart { size: None }"),
            ];
            if !rdb.is_empty() {
                expect.push(Ev::Rdb(rdb.to_vec()));
            }
            expect.push(other("RdbEnd"));
            expect.push(Ev::Stream(b"*1\r\n$4\r\nPING\r\n".to_vec()));
            assert_eq!(events, expect, "len {len} step {step}");
            // The first ACK puts a diskless replica online.
            assert_eq!(output(&mut link), b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n7\r\n");
            assert_eq!(link.read_reploff(), 7 + 14);
        }
    }
}

#[test]
fn eof_mark_found_after_bytes_made_of_its_own_characters() {
    // A long RDB drawn from the mark's alphabet, with its prefixes and
    // suffixes, so the search's skips land on near-misses everywhere.
    let mut rdb = Vec::new();
    let mut x = 7u32;
    while rdb.len() < 20_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        match x >> 29 {
            // A byte outside the alphabet keeps them from completing it.
            0 => rdb.extend_from_slice(&[b"x".as_slice(), &MARK[1..]].concat()),
            1 => rdb.extend_from_slice(&[&MARK[..39], b"x".as_slice()].concat()),
            _ => rdb.push(MARK[(x >> 8) as usize % 40]),
        }
    }
    assert!(!rdb.windows(40).any(|w| w == MARK));
    let script = eof_script(&rdb, MARK, b"*1\r\n$4\r\nPING\r\n");
    for step in [1000, 65536] {
        let mut link = to_psync(step, None);
        let mut events = feed(&mut link, &[b"+FULLRESYNC ".as_slice(), ID, b" 0\r\n"].concat(), step);
        events.extend(feed(&mut link, &script, step));
        assert_eq!(events[2], Ev::Rdb(rdb.clone()), "step {step}");
        assert_eq!(
            events[3..],
            [other("RdbEnd"), Ev::Stream(b"*1\r\n$4\r\nPING\r\n".to_vec())]
        );
    }
}

#[test]
fn eof_mark_split_across_two_feeds_at_every_point() {
    let rdb: Vec<u8> = (0..300u32).map(|i| (i % 97) as u8).collect();
    let script = eof_script(&rdb, MARK, b"");
    for cut in 0..script.len() {
        let mut link = to_psync(1000, None);
        let mut events = feed(&mut link, &[b"+FULLRESYNC ".as_slice(), ID, b" 0\r\n"].concat(), 1000);
        events.extend(feed(&mut link, &script[..cut], 1000));
        events.extend(feed(&mut link, &script[cut..], 1000));
        let rdb_bytes: Vec<u8> = events
            .iter()
            .filter_map(|e| if let Ev::Rdb(b) = e { Some(b.clone()) } else { None })
            .collect::<Vec<_>>()
            .concat();
        assert_eq!(rdb_bytes, rdb, "cut {cut}");
        assert_eq!(events.last(), Some(&other("RdbEnd")), "cut {cut}");
    }
}

#[test]
fn partial_resync_same_and_new_id() {
    let cached = ReplId::parse(ID).unwrap();
    for step in [1, 1000] {
        let mut link = to_psync(step, Some((cached, 500)));
        assert_eq!(
            output(&mut link),
            [b"*3\r\n$5\r\nPSYNC\r\n$40\r\n".as_slice(), ID, b"\r\n$3\r\n501\r\n"].concat()
        );
        let events = feed(&mut link, b"+CONTINUE\r\n*1\r\n$4\r\nPING\r\n", step);
        assert_eq!(
            events,
            [
                other("Continue { new_replid: None }"),
                Ev::Stream(b"*1\r\n$4\r\nPING\r\n".to_vec())
            ]
        );
        assert_eq!(link.read_reploff(), 514);
        assert_eq!(link.reploff(), 500);

        let mut link = to_psync(step, Some((cached, 500)));
        let events = feed(&mut link, &[b"+CONTINUE ".as_slice(), ID, b"\r\n"].concat(), step);
        assert_eq!(events, [other("Continue { new_replid: None }")]);

        let mut link = to_psync(step, Some((cached, 500)));
        let events = feed(&mut link, &[b"+CONTINUE ".as_slice(), ID2, b"\r\n"].concat(), step);
        assert_eq!(
            events,
            [other(&format!(
                "Continue {{ new_replid: Some(ReplId({})) }}",
                String::from_utf8_lossy(ID2)
            ))]
        );
        assert_eq!(link.master_replid(), ReplId::parse(ID2));
        assert_eq!(link.resume_point(), Some((ReplId::parse(ID2).unwrap(), 500)));
    }
}

#[test]
fn getack_and_periodic_ack() {
    let mut link = to_psync(1000, Some((ReplId::parse(ID).unwrap(), 0)));
    output(&mut link);
    let getack = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
    let set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    feed(&mut link, b"+CONTINUE\r\n", 1000);
    let events = feed(&mut link, &[set.as_slice(), getack].concat(), 1000);
    assert_eq!(events.len(), 1);
    // The engine applies SET, then meets GETACK: ACK first, then count it.
    link.handle_applied(set.len());
    link.send_ack();
    link.handle_applied(getack.len());
    assert_eq!(set.len(), 27);
    assert_eq!(getack.len(), 37);
    assert_eq!(output(&mut link), b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n27\r\n");
    assert_eq!(link.reploff(), (set.len() + getack.len()) as i64);
    // Once a second from handle_timeout.
    assert_eq!(link.poll_timeout(), Some(1000));
    link.handle_timeout(1000);
    assert_eq!(output(&mut link), b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n64\r\n");
    link.handle_timeout(1500);
    assert_eq!(output(&mut link), b"");
    assert_eq!(link.poll_timeout(), Some(2000));
}

fn failure(events: &[Ev]) -> &str {
    match events.last() {
        Some(Ev::Other(text)) => text,
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_replies_fail_with_redis_wording() {
    let mut link = connected(config());
    let events = feed(&mut link, b"-ERR wrong\r\n", 1);
    assert_eq!(
        failure(&events),
        "Failed(PingError([45, 69, 82, 82, 32, 119, 114, 111, 110, 103]))"
    );
    assert_eq!(link.state(), State::Closed);
    assert_eq!(
        Failure::PingError(b"-ERR wrong".to_vec()).log_line(),
        "Error reply to PING from master: '-ERR wrong'"
    );
    // Nothing more once closed.
    assert!(feed(&mut link, b"+PONG\r\n", 1).is_empty());

    let mut link = connected(LinkConfig {
        masterauth: Some(b"bad".to_vec()),
        ..config()
    });
    feed(&mut link, b"+PONG\r\n", 1);
    let events = feed(
        &mut link,
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
        1,
    );
    assert!(failure(&events).starts_with("Failed(AuthError("));
    assert_eq!(
        Failure::AuthError(b"-WRONGPASS x".to_vec()).log_line(),
        "Unable to AUTH to MASTER: -WRONGPASS x"
    );

    for reply in [
        b"-LOADING Redis is loading the dataset in memory".as_slice(),
        b"-NOMASTERLINK Can't SYNC while not connected with my master",
    ] {
        let mut link = to_psync(1, None);
        let events = feed(&mut link, &[reply, b"\r\n"].concat(), 1);
        assert!(failure(&events).starts_with("Failed(PsyncTryLater("), "{events:?}");
    }
    assert_eq!(
        Failure::PsyncTryLater(b"-LOADING x".to_vec()).log_line(),
        "Master is currently unable to PSYNC but should be in the future: -LOADING x"
    );

    let mut link = to_psync(1, None);
    let events = feed(&mut link, b"+FULLRESYNC short 1\r\n", 1);
    assert!(failure(&events).starts_with("Failed(BadFullResync("));

    let mut link = to_psync(1, None);
    let events = feed(&mut link, b"+CONTINUE\r\n", 1);
    assert_eq!(failure(&events), "Failed(UnexpectedContinue)");
}

#[test]
fn psync_not_understood_falls_back_to_sync() {
    let mut link = to_psync(1, None);
    output(&mut link);
    let events = feed(&mut link, b"-ERR unknown command 'PSYNC'\r\n\n$3\r\nabc*1\r\n", 1);
    assert_eq!(events[0], other("Handshake(SyncFallback { reply: [45, 69, 82, 82, 32, 117, 110, 107, 110, 111, 119, 110, 32, 99, 111, 109, 109, 97, 110, 100, 32, 39, 80, 83, 89, 78, 67, 39] })"));
    assert_eq!(events[2], Ev::Rdb(b"abc".to_vec()));
    assert_eq!(output(&mut link), b"SYNC\r\n");
    assert_eq!(
        Step::SyncFallback {
            reply: b"-ERR unknown command 'PSYNC'".to_vec()
        }
        .log_lines(),
        [
            "Master does not support PSYNC or is in error state (reply: -ERR unknown command 'PSYNC')",
            "Retrying with SYNC..."
        ]
    );
    // A legacy master gets no ACKs and cannot be resumed.
    link.send_ack();
    link.handle_timeout(5000);
    assert_eq!(output(&mut link), b"");
    assert_eq!(link.resume_point(), None);
}

#[test]
fn bad_bulk_headers() {
    let fullresync = [b"+FULLRESYNC ".as_slice(), ID, b" 0\r\n"].concat();
    let cases: [(&[u8], &str); 3] = [
        (b"-ERR BGSAVE failed\r\n", "MASTER aborted replication with an error: ERR BGSAVE failed"),
        (b"HTTP/1.1 400\r\n", "Bad protocol from MASTER, the first byte is not '$' (we received 'HTTP/1.1 400'), are you sure the host and port are right?"),
        (b"$-5\r\n", "Bad protocol from MASTER, the first byte is not '$' (we received '$-5'), are you sure the host and port are right?"),
    ];
    for (bytes, log) in cases {
        let mut link = to_psync(1, None);
        let mut events = feed(&mut link, &fullresync, 1);
        events.extend(feed(&mut link, bytes, 1));
        let Some(Ev::Other(last)) = events.last() else { panic!() };
        assert!(last.starts_with("Failed("), "{events:?}");
        let failure = match bytes[0] {
            b'-' => Failure::MasterAborted(bytes[..bytes.len() - 2].to_vec()),
            _ => Failure::BadBulkHeader(bytes[..bytes.len() - 2].to_vec()),
        };
        assert_eq!(failure.log_line(), log);
    }
    // An empty RDB ends at once.
    let mut link = to_psync(1, None);
    let mut events = feed(&mut link, &fullresync, 1);
    events.extend(feed(&mut link, b"$0\r\n", 1));
    assert_eq!(events.last(), Some(&other("RdbEnd")));
}

#[test]
fn overlong_line_fails() {
    let mut link = connected(config());
    let events = feed(&mut link, &vec![b'+'; link::MAX_LINE + 10], 4096);
    assert_eq!(failure(&events), "Failed(LineTooLong)");
}

#[test]
fn timeouts_by_state() {
    let mut link = connected(LinkConfig {
        timeout_ms: 1000,
        ..config()
    });
    link.handle_timeout(1000);
    assert_eq!(link.poll_event(), None);
    link.handle_timeout(1001);
    assert_eq!(link.poll_event(), Some(Event::Failed(Failure::HandshakeTimeout)));
    assert_eq!(
        Failure::HandshakeTimeout.log_line(),
        "Timeout connecting to the MASTER..."
    );

    let mut link = to_psync(1000, None);
    let mut sink = Vec::new();
    collect(
        &mut link,
        5000,
        &[b"+FULLRESYNC ".as_slice(), ID, b" 0\r\n$10\r\nab"].concat(),
        1000,
        &mut sink,
    );
    link.handle_timeout(5000 + 60_000);
    assert_eq!(link.poll_event(), None);
    // Keepalive newlines and data move the deadline.
    collect(&mut link, 60_000, b"cd", 1000, &mut sink);
    link.handle_timeout(120_001);
    assert_eq!(link.poll_event(), Some(Event::Failed(Failure::TransferTimeout)));

    let mut link = to_psync(1000, Some((ReplId::parse(ID).unwrap(), 0)));
    feed(&mut link, b"+CONTINUE\r\n", 1000);
    link.handle_timeout(60_001);
    assert_eq!(link.poll_event(), Some(Event::Failed(Failure::MasterTimeout)));
    assert_eq!(
        Failure::MasterTimeout.log_line(),
        "MASTER timeout: no data nor PING received..."
    );
}

#[test]
fn closing_by_state() {
    let mut link = connected(config());
    link.handle_closed();
    assert_eq!(link.poll_event(), Some(Event::Failed(Failure::NoResponse)));
    let mut link = to_psync(1000, Some((ReplId::parse(ID).unwrap(), 9)));
    feed(&mut link, b"+CONTINUE\r\n", 1000);
    link.handle_closed();
    assert_eq!(link.poll_event(), Some(Event::Failed(Failure::ConnectionLost)));
    assert_eq!(link.resume_point(), Some((ReplId::parse(ID).unwrap(), 9)));
}

#[test]
fn step_log_lines() {
    assert_eq!(
        Step::PingReplied.log_lines(),
        ["Master replied to PING, replication can continue..."]
    );
    assert_eq!(
        Step::PsyncSent {
            resume: Some((ReplId::parse(ID).unwrap(), 41))
        }
        .log_lines(),
        [format!(
            "Trying a partial resynchronization (request {}:42).",
            String::from_utf8_lossy(ID)
        )]
    );
    assert_eq!(
        Step::PsyncSent { resume: None }.log_lines(),
        ["Partial resynchronization not possible (no cached master)"]
    );
    assert_eq!(
        Step::Replconf {
            what: "capa",
            error: Some(b"-ERR x".to_vec())
        }
        .log_lines(),
        ["(Non critical) Master does not understand REPLCONF capa: -ERR x"]
    );
}

/// The master's decision and the replica link agree: a replica resumes
/// from a backlog with the bytes it missed.
#[test]
fn link_resumes_from_a_backlog() {
    let ids = ReplicationIds::new(ReplId::parse(ID).unwrap());
    let mut backlog = Backlog::new(0, 0);
    backlog.feed(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    let mut link = to_psync(1000, Some((ids.replid, 14)));
    let decision = psync::decide(&ids, Some(&backlog), psync::Request::Psync { replid: ID, offset: 15 });
    let mut wire = Vec::new();
    decision.reply(&ids, true, &mut wire);
    wire.extend_from_slice(backlog.chunk_from(15));
    let events = feed(&mut link, &wire, 3);
    assert_eq!(events[1], Ev::Stream(b"*1\r\n$4\r\nPING\r\n".to_vec()));
    assert_eq!(link.read_reploff(), backlog.master_repl_offset());
}
