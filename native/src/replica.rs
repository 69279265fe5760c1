//! The replica's connection to its master: one task that opens the TCP
//! connection when the engine names a master, moves bytes between the
//! socket and the engine's replica link, and retries once a second after
//! a failure (Redis's `replicationCron` cadence). The engine decides
//! everything else (handshake, loading, applying the stream).

use crate::server::{now_ms, Shared};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vitrine_core::config::Id;
use vitrine_core::engine::replica::Spool;

/// Bytes read per read call (Redis's `PROTO_IOBUF_LEN`).
const READ_CHUNK: usize = 16 * 1024;
/// How often the task looks at the engine while nothing arrives (output
/// produced by cron: `REPLCONF ACK`); a new `REPLICAOF` wakes it at once.
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
            pause(&shared, TICK).await;
            continue;
        };
        shared.engine.borrow_mut().replica_connecting(now_ms());
        let connected = tokio::time::timeout(RETRY * 10, TcpStream::connect((host.as_str(), port))).await;
        let stream = match connected {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                let reason = crate::config::os_error(&error);
                shared.engine.borrow_mut().replica_connect_failed(&reason, now_ms());
                pause(&shared, RETRY).await;
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
            pause(&shared, RETRY).await;
        }
    }
}

/// Waits `duration`, or less if the master to follow changes.
async fn pause(shared: &Shared, duration: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = shared.replica_target.notified() => {}
    }
}

/// Moves bytes until the link fails, the peer closes, or the engine
/// follows another master.
async fn serve(shared: &Shared, stream: TcpStream, generation: u64) {
    let mut file = None;
    relay(shared, stream, generation, &mut file).await;
    // A transfer cut short leaves no temporary file behind.
    if let Some(spool) = file {
        let _ = std::fs::remove_file(&spool.name);
    }
}

/// The temporary file a disk-backed full sync writes
/// (`repl-diskless-load disabled`).
struct SpoolFile {
    name: String,
    file: File,
}

/// Writes the snapshot bytes the engine received to the temporary file;
/// at the end syncs it, renames it to `dbfilename` and tells the engine.
fn spool(shared: &Shared, file: &mut Option<SpoolFile>, bytes: &mut Vec<u8>) {
    bytes.clear();
    let state = shared.engine.borrow_mut().replica_take_spool(bytes);
    if state == Spool::None {
        return;
    }
    let result = write_spool(file, bytes, state == Spool::Complete, shared);
    if state == Spool::Complete || result.is_err() {
        if result.is_err() {
            if let Some(spool) = file.take() {
                let _ = std::fs::remove_file(&spool.name);
            }
        }
        *file = None;
        shared.engine.borrow_mut().replica_spool_saved(result, now_ms());
        shared.after_engine_call();
    }
}

fn write_spool(file: &mut Option<SpoolFile>, bytes: &[u8], complete: bool, shared: &Shared) -> Result<(), String> {
    if file.is_none() {
        // Redis's `temp-<unixtime>.<pid>.rdb` in the working directory.
        let name = format!("temp-{}.{}.rdb", now_ms() / 1000, std::process::id());
        let created = File::create(&name).map_err(|e| {
            format!(
                "Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
                crate::config::os_error(&e)
            )
        })?;
        *file = Some(SpoolFile { name, file: created });
    }
    let Some(spool) = file.as_mut() else {
        return Ok(());
    };
    spool.file.write_all(bytes).map_err(|e| {
        format!(
            "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {}",
            crate::config::os_error(&e)
        )
    })?;
    if !complete {
        return Ok(());
    }
    spool.file.sync_all().map_err(|e| {
        format!(
            "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {}",
            crate::config::os_error(&e)
        )
    })?;
    let filename = shared.engine.borrow().config().text(Id::Dbfilename).to_string();
    std::fs::rename(&spool.name, &filename).map_err(|e| {
        format!(
            "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}",
            filename,
            crate::config::os_error(&e)
        )
    })?;
    let directory = Path::new(&filename)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(directory).and_then(|dir| dir.sync_all()).map_err(|e| {
        format!(
            "Failed trying to sync DB directory {} in MASTER <-> REPLICA synchronization: {}",
            filename,
            crate::config::os_error(&e)
        )
    })?;
    // Renamed: nothing left to remove.
    *file = None;
    let remove = {
        let engine = shared.engine.borrow();
        engine.config().bool(Id::RdbDelSyncFiles) && engine.config().persistence_disabled()
    };
    if remove {
        crate::notice!("Removing the RDB file obtained from the master. This replica has persistence disabled");
        std::thread::spawn(move || {
            let _ = std::fs::remove_file(filename);
        });
    }
    Ok(())
}

async fn relay(shared: &Shared, mut stream: TcpStream, generation: u64, file: &mut Option<SpoolFile>) {
    let mut scratch = vec![0u8; READ_CHUNK];
    let mut output = Vec::new();
    let mut spooled = Vec::new();
    loop {
        // An ACK promises the applied writes are in our AOF too.
        crate::aof::wait_durable(shared).await;
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
                    spool(shared, file, &mut spooled);
                }
            },
            _ = pause(shared, TICK) => {}
        }
    }
}
