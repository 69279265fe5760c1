//! The replica's connection to its master: one task that opens the TCP
//! connection when the engine names a master, moves bytes between the
//! socket and the engine's replica link, and retries once a second after
//! a failure (Redis's `replicationCron` cadence). The engine decides
//! everything else (handshake, loading, applying the stream).

use crate::server::{now_ms, Shared};
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bytes read per read call (Redis's `PROTO_IOBUF_LEN`).
const READ_CHUNK: usize = 16 * 1024;
/// How often the task looks at the engine while nothing arrives: output
/// produced by cron (`REPLCONF ACK`), a new `REPLICAOF`.
const TICK: Duration = Duration::from_millis(100);
/// Pause between connection attempts.
const RETRY: Duration = Duration::from_secs(1);

/// Runs forever: follows whatever master the engine names.
pub async fn run(shared: Rc<Shared>) {
    loop {
        let target = shared.engine.borrow().replica_target();
        // The log's role letter, as Redis's `S`/`M`.
        crate::log::set_role(if target.is_some() { 'S' } else { 'M' });
        let Some((host, port, generation)) = target else {
            tokio::time::sleep(TICK).await;
            continue;
        };
        shared.engine.borrow_mut().replica_connecting(now_ms());
        let connected = tokio::time::timeout(RETRY * 10, TcpStream::connect((host.as_str(), port))).await;
        let stream = match connected {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                let reason = crate::config::os_error(&error);
                shared.engine.borrow_mut().replica_connect_failed(&reason, now_ms());
                tokio::time::sleep(RETRY).await;
                continue;
            }
            Err(_) => {
                shared
                    .engine
                    .borrow_mut()
                    .replica_connect_failed("Connection timed out", now_ms());
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if let Ok(local) = stream.local_addr() {
            shared.engine.borrow_mut().replica_local_addr(local.to_string());
        }
        if !shared.engine.borrow().replica_link_wanted(generation) {
            continue;
        }
        shared.engine.borrow_mut().replica_connected(now_ms());
        serve(&shared, stream, generation).await;
        shared.engine.borrow_mut().replica_closed(now_ms());
        shared.after_engine_call();
        // Redis retries from its once-a-second cron.
        if shared
            .engine
            .borrow()
            .replica_target()
            .is_some_and(|t| t.2 == generation)
        {
            tokio::time::sleep(RETRY).await;
        }
    }
}

/// Moves bytes until the link fails, the peer closes, or the engine
/// follows another master.
async fn serve(shared: &Shared, mut stream: TcpStream, generation: u64) {
    let mut scratch = vec![0u8; READ_CHUNK];
    let mut output = Vec::new();
    loop {
        output.clear();
        shared.engine.borrow_mut().replica_output(&mut output);
        if !output.is_empty() && stream.write_all(&output).await.is_err() {
            return;
        }
        if !shared.engine.borrow().replica_link_wanted(generation) {
            return;
        }
        tokio::select! {
            read = stream.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    shared.engine.borrow_mut().replica_input(&scratch[..n], now_ms());
                    shared.after_engine_call();
                }
            },
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}
