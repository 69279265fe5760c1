//! Browser replicas: clients that reached the server through its WebSocket
//! listener (`websocket-port`). They speak the replica protocol over
//! WebSocket frames and may do nothing else.
//!
//! What sets them apart from a TCP client:
//! - only `PING`, `AUTH`, `REPLCONF`, `PSYNC` and `SYNC` run; any other
//!   command is refused before it executes, so no write can come from a
//!   page;
//! - `AUTH` checks `websocket-requirepass`, a read-only secret a page may
//!   hold, never `requirepass` (which also grants writes);
//! - their requests are held to Redis's limits for unauthenticated clients
//!   (10 arguments, 16 KiB bulks) even once authenticated: a replica never
//!   needs more, and a page cannot make the server buffer more;
//! - once synchronizing they are replicas like any other (`CLIENT LIST`
//!   flag `S`, `CLIENT KILL TYPE replica`), but `INFO replication` counts
//!   them as `browser_replicas`, apart from `connected_slaves`/`slaveN`,
//!   which tools such as redis-sentinel read as addresses to connect to;
//! - they are served diskless only (`$EOF:`): a tab arriving never makes
//!   the master write its dataset to disk, so one that did not announce
//!   `REPLCONF capa eof` is refused at `PSYNC`.
//!
//! Never here: HTTP, WebSocket framing, `Origin` checks and the connection
//! cap, which are the host's listener's job.

use super::client::{client_flag, Client, ClientState, ConnInfo};
use super::{ClientHandle, Engine, Server};
use crate::cmd::table::CommandEntry;
use crate::config::{Config, Id};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

impl Engine {
    /// Registers a connection from the WebSocket listener: a client that
    /// may only replicate (see the module documentation). `Err` carries
    /// the bytes to send before closing it (max clients reached,
    /// protected mode without `websocket-requirepass`).
    pub fn connect_browser(&mut self, conn: ConnInfo, now_ms: i64) -> Result<ClientHandle, &'static [u8]> {
        let password_set = !self.server.config.text(Id::WebsocketRequirepass).is_empty();
        self.admit(conn, now_ms, password_set, client_flag::BROWSER)
    }

    /// Admits a connection (`createClient` plus `acceptCommonHandler`'s
    /// checks): `password_set` says whether the password this kind of
    /// client authenticates with is configured (protected mode, and
    /// whether it starts authenticated); `flags` are its initial flags.
    pub(crate) fn admit(
        &mut self,
        conn: ConnInfo,
        now_ms: i64,
        password_set: bool,
        flags: u32,
    ) -> Result<ClientHandle, &'static [u8]> {
        self.set_clock(now_ms);
        let hot = self.server.config.hot();
        if self.server.clients.len() >= hot.maxclients {
            self.server.stats.rejected_connections += 1;
            return Err(b"-ERR max number of clients reached\r\n");
        }
        if hot.protected_mode && !password_set && !conn.is_local {
            self.server.stats.rejected_connections += 1;
            return Err(super::PROTECTED_MODE_ERROR);
        }
        self.server.stats.total_connections_received += 1;
        let id = self.server.next_client_id;
        self.server.next_client_id += 1;
        let mut client = Client::new(id, conn, now_ms, !password_set);
        client.state.flags |= flags;
        Ok(self.server.clients.insert(client))
    }
}

/// The password `state` authenticates with: `websocket-requirepass` for a
/// browser replica, `requirepass` for any other client; `None` when unset
/// (any password is then accepted, as for Redis's `nopass` default user).
pub fn required_password<'a>(config: &'a Config, state: &ClientState) -> Option<&'a str> {
    let password = if state.has(client_flag::BROWSER) {
        config.text(Id::WebsocketRequirepass)
    } else {
        config.hot().requirepass.as_deref().unwrap_or("")
    };
    Some(password).filter(|p| !p.is_empty())
}

/// Why a browser replica may not run `entry`, or `None` when it may (or
/// the client is no browser replica). Checked after authentication, so an
/// unauthenticated page gets `-NOAUTH` first, as any client would.
pub(crate) fn refusal(server: &Server, state: &ClientState, entry: &CommandEntry) -> Option<Vec<u8>> {
    if !state.has(client_flag::BROWSER) {
        return None;
    }
    let name = if entry.parent.is_none() { entry.command.name } else { "" };
    match name {
        "ping" | "auth" | "replconf" => None,
        "psync" | "sync" => {
            let eof = server.master.replicas.iter().any(|r| r.id == state.id && r.capa_eof);
            (!eof).then(|| {
                b"ERR a browser replica is served diskless only: send REPLCONF capa eof before SYNC or PSYNC".to_vec()
            })
        }
        _ => Some(
            format!(
                "NOPERM a browser replica may only run PING, AUTH, REPLCONF, PSYNC and SYNC, not the '{}' command",
                entry.fullname
            )
            .into_bytes(),
        ),
    }
}

/// The `browser_replicas:` line of `INFO replication`, after the `slaveN`
/// lines, when the WebSocket listener is on (so that a server configured as
/// Redis shows exactly Redis's fields).
pub fn write_info(server: &Server, out: &mut String) {
    if server.config.int(Id::WebsocketPort) == 0 {
        return;
    }
    out.push_str(&format!("browser_replicas:{}\r\n", count(server)));
}

/// Browser replicas past the handshake.
pub(crate) fn count(server: &Server) -> usize {
    server
        .master
        .replicas
        .iter()
        .filter(|r| r.browser && r.state != super::master::ReplicaState::Handshake)
        .count()
}

#[cfg(test)]
mod tests {
    use crate::engine::client::ConnInfo;
    use crate::engine::tests::{connect, engine_with_client, send, send_args};
    use crate::engine::ClientHandle;
    use alloc::string::String;

    fn browser(engine: &mut crate::engine::Engine) -> ClientHandle {
        let conn = ConnInfo {
            addr: "127.0.0.1:50000".into(),
            laddr: "127.0.0.1:8080".into(),
            is_local: true,
            ..ConnInfo::default()
        };
        engine.connect_browser(conn, 1_700_000_000_000).expect("admitted")
    }

    #[test]
    fn a_browser_may_only_replicate() {
        let (mut engine, client) = engine_with_client();
        let page = browser(&mut engine);
        assert_eq!(send(&mut engine, page, "PING"), b"+PONG\r\n");
        assert_eq!(
            send(&mut engine, page, "SET a 1"),
            &b"-NOPERM a browser replica may only run PING, AUTH, REPLCONF, PSYNC and SYNC, not the 'set' command\r\n"
                [..]
        );
        assert_eq!(
            send(&mut engine, page, "CONFIG SET requirepass x"),
            &b"-NOPERM a browser replica may only run PING, AUTH, REPLCONF, PSYNC and SYNC, not the 'config|set' command\r\n"[..]
        );
        assert_eq!(send(&mut engine, page, "MULTI").first(), Some(&b'-'));
        assert_eq!(send(&mut engine, client, "DBSIZE"), b":0\r\n");
        assert_eq!(
            send(&mut engine, client, "CONFIG GET requirepass"),
            b"*2\r\n$11\r\nrequirepass\r\n$0\r\n\r\n"
        );
        assert_eq!(
            send(&mut engine, page, "PSYNC ? -1"),
            &b"-ERR a browser replica is served diskless only: send REPLCONF capa eof before SYNC or PSYNC\r\n"[..]
        );
        assert_eq!(engine.server.master.sync_full, 0);
    }

    #[test]
    fn a_browser_may_not_send_large_requests() {
        let (mut engine, _client) = engine_with_client();
        let page = browser(&mut engine);
        let big = "x".repeat(16 * 1024 + 1);
        assert_eq!(
            send_args(&mut engine, page, &["AUTH", big.as_str()]),
            b"-ERR Protocol error: unauthenticated bulk length\r\n"
        );
        assert_eq!(engine.close_state(page), crate::engine::CloseState::AfterFlush);
    }

    #[test]
    fn a_browser_authenticates_with_the_websocket_secret_only() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "CONFIG SET requirepass master");
        send(&mut engine, client, "CONFIG SET websocket-requirepass tab");
        let page = browser(&mut engine);
        assert!(send(&mut engine, page, "PING").starts_with(b"-NOAUTH"));
        assert!(send(&mut engine, page, "SET a 1").starts_with(b"-NOAUTH"));
        assert!(send(&mut engine, page, "AUTH master").starts_with(b"-WRONGPASS"));
        assert_eq!(send(&mut engine, page, "AUTH tab"), b"+OK\r\n");
        assert_eq!(send(&mut engine, page, "PING"), b"+PONG\r\n");
        // A TCP client is not let in by the browser secret.
        let other = connect(&mut engine);
        assert!(send(&mut engine, other, "AUTH tab").starts_with(b"-WRONGPASS"));
        assert_eq!(send(&mut engine, other, "AUTH master"), b"+OK\r\n");
    }

    #[test]
    fn browsers_do_not_count_for_wait_or_min_replicas() {
        let (mut engine, client) = engine_with_client();
        engine.server.replication.backlog = Some(crate::repl::Backlog::new(0, 0));
        let page = browser(&mut engine);
        assert_eq!(send(&mut engine, page, "REPLCONF capa eof"), b"+OK\r\n");
        let replid = String::from_utf8(engine.server.replication.ids.replid.as_bytes().to_vec()).unwrap();
        let reply = send(&mut engine, page, &alloc::format!("PSYNC {replid} 1"));
        assert!(reply.starts_with(b"+CONTINUE"), "{reply:?}");
        assert_eq!(send(&mut engine, page, "REPLCONF ACK 0"), b"");
        assert_eq!(send(&mut engine, client, "WAIT 0 0"), b":0\r\n");
        send(&mut engine, client, "CONFIG SET min-replicas-to-write 1");
        assert!(send(&mut engine, client, "SET a 1").starts_with(b"-NOREPLICAS"));
    }

    #[test]
    fn browsers_are_counted_apart_from_tcp_replicas() {
        let (mut engine, client) = engine_with_client();
        engine
            .config_mut()
            .set(
                crate::config::Id::WebsocketPort,
                &[b"8080"],
                crate::config::Source::Startup,
            )
            .expect("set");
        let page = browser(&mut engine);
        assert_eq!(send(&mut engine, page, "REPLCONF capa eof capa psync2"), b"+OK\r\n");
        // Waits for the diskless delay: a replica, not yet an address.
        assert_eq!(send(&mut engine, page, "PSYNC ? -1"), b"");
        assert_eq!(engine.server.master.sync_full, 1);
        let info = String::from_utf8(send(&mut engine, client, "INFO replication")).unwrap();
        assert!(info.contains("connected_slaves:0\r\nbrowser_replicas:1\r\n"), "{info}");
        assert!(!info.contains("slave0"), "{info}");
        let list = String::from_utf8(send(&mut engine, client, "CLIENT LIST TYPE replica")).unwrap();
        assert!(list.contains(" flags=S "), "{list}");
    }
}
