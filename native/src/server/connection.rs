//! One task per client: read bytes into the engine, run them, write the
//! replies back. The engine decides everything else (what to reply, when
//! to close); this task only moves bytes and waits.

use super::{now_ms, Shared};
use socket2::{SockRef, TcpKeepalive};
use std::io::{ErrorKind, Read as _};
use std::rc::Rc;
use std::time::Duration;
use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use vitrine_core::config::Id;
use vitrine_core::engine::client::ConnInfo;
use vitrine_core::engine::{ClientHandle, CloseState};

/// Bytes read per read call (Redis's `PROTO_IOBUF_LEN`).
const READ_CHUNK: usize = 16 * 1024;

/// Accepts connections on one listening socket until aborted.
pub async fn accept_loop(shared: Rc<Shared>, listener: std::net::TcpListener) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        match listener.accept().await {
            Ok((stream, _)) => accept(&shared, stream),
            Err(error) => {
                crate::warning!("Accepting client connection: {}", crate::config::os_error(&error));
                // Out of file descriptors and the like: do not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

fn accept(shared: &Rc<Shared>, stream: TcpStream) {
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let keepalive = shared.engine.borrow().config().int(Id::TcpKeepalive);
    if keepalive > 0 {
        let interval = Duration::from_secs(keepalive as u64);
        let _ = SockRef::from(&stream)
            .set_tcp_keepalive(&TcpKeepalive::new().with_time(interval).with_interval(interval / 3));
    }
    let conn = ConnInfo {
        addr: peer.to_string(),
        laddr: local.to_string(),
        fd: std::os::fd::AsRawFd::as_raw_fd(&stream) as i64,
        is_local: peer.ip().is_loopback(),
        unix_socket: false,
    };
    let accepted = shared.engine.borrow_mut().connect(conn, now_ms());
    match accepted {
        Ok(handle) => {
            let notify = Rc::new(Notify::new());
            shared.tasks.borrow_mut().insert(handle.id, notify.clone());
            crate::verbose!("Accepted {}", peer);
            tokio::task::spawn_local(serve(shared.clone(), stream, handle, notify));
        }
        Err(refusal) => {
            // Best effort, as Redis: write the refusal and close.
            let _ = stream.try_write(refusal);
        }
    }
}

/// What reading produced.
enum Read {
    Data,
    Nothing,
    Closed,
}

async fn serve(shared: Rc<Shared>, stream: TcpStream, handle: ClientHandle, notify: Rc<Notify>) {
    let mut scratch = vec![0u8; READ_CHUNK];
    loop {
        crate::aof::wait_durable(&shared).await;
        if flush(&shared, &stream, handle, &notify).await.is_err() {
            break;
        }
        match shared.engine.borrow().close_state(handle) {
            CloseState::Open => {}
            CloseState::AfterFlush | CloseState::Now => break,
        }
        tokio::select! {
            biased;
            _ = notify.notified() => continue,
            ready = stream.readable() => {
                if ready.is_err() {
                    break;
                }
            }
        }
        match read(&shared, &stream, handle, &mut scratch) {
            Read::Closed => break,
            Read::Nothing => continue,
            Read::Data => {
                shared.engine.borrow_mut().process_input(handle, now_ms());
                shared.after_engine_call();
            }
        }
    }
    shared.tasks.borrow_mut().remove(&handle.id);
    shared.engine.borrow_mut().disconnect(handle);
    shared.after_engine_call();
}

/// Reads what is available into the engine's input buffer for `handle`.
///
/// A read that does not fill `scratch` has drained the socket, so the
/// socket's readiness is cleared right away (by answering `WouldBlock` to
/// tokio's `try_io` after taking the bytes): this saves the extra `read`
/// returning EAGAIN that would otherwise follow every request, so a
/// request costs one read and one write, as in Redis. No wake-up is lost:
/// new data raises a new edge-triggered event.
fn read(shared: &Shared, stream: &TcpStream, handle: ClientHandle, scratch: &mut [u8]) -> Read {
    let mut received = 0;
    let result = stream.try_io(Interest::READABLE, || {
        let n = (&*SockRef::from(stream)).read(scratch)?;
        received = n;
        if n > 0 && n < scratch.len() {
            Err(ErrorKind::WouldBlock.into())
        } else {
            Ok(n)
        }
    });
    match result {
        Ok(0) => return Read::Closed,
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::WouldBlock && received > 0 => {}
        Err(error) if error.kind() == ErrorKind::WouldBlock => return Read::Nothing,
        Err(error) => {
            crate::verbose!("Reading from client: {}", crate::config::os_error(&error));
            return Read::Closed;
        }
    }
    let mut engine = shared.engine.borrow_mut();
    let Some(buffer) = engine.input_buffer(handle) else {
        return Read::Closed;
    };
    buffer.extend_from_slice(&scratch[..received]);
    shared
        .net
        .input_bytes
        .set(shared.net.input_bytes.get() + received as u64);
    shared.net.reads.set(shared.net.reads.get() + 1);
    Read::Data
}

/// Writes the engine's pending output for `handle` until it is all sent,
/// or until the engine wants the connection closed at once (a slow reader
/// over its output limit must not keep the task waiting on the socket).
async fn flush(shared: &Shared, stream: &TcpStream, handle: ClientHandle, notify: &Notify) -> std::io::Result<()> {
    loop {
        if shared.engine.borrow().close_state(handle) == CloseState::Now {
            return Err(ErrorKind::ConnectionAborted.into());
        }
        let written = {
            let mut engine = shared.engine.borrow_mut();
            let output = engine.output(handle);
            if output.is_empty() {
                return Ok(());
            }
            match stream.try_write(output) {
                Ok(n) => {
                    engine.consume_output(handle, n);
                    Some(n)
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => None,
                Err(error) => return Err(error),
            }
        };
        match written {
            Some(n) => {
                shared.net.output_bytes.set(shared.net.output_bytes.get() + n as u64);
                shared.net.writes.set(shared.net.writes.get() + 1);
            }
            None => {
                tokio::select! {
                    ready = stream.writable() => ready?,
                    _ = notify.notified() => {}
                }
            }
        }
    }
}
