//! Sending a full resync's snapshot to replicas at the pace each one
//! reads it, so a slow or stalled replica costs a bounded buffer, never a
//! copy of the whole dump.
//!
//! Disk-backed, each replica reads the dump through its own open file, a
//! chunk at a time, as its socket drains (Redis's `sendBulkToSlave` with
//! one `repldbfd` per replica): the file may be replaced by a later save
//! meanwhile, the open handle keeps the old one.
//!
//! Diskless, the child's pipe is read only while every replica it serves
//! has less than [`SOCKET_WINDOW`] bytes left to send
//! ([`SocketTransfer::wants_data`], Redis's `rdbPipeReadHandler` waiting
//! for all replicas to write a chunk): the child then blocks on the full
//! pipe, and the snapshot's chunks are held once for all replicas, each at
//! its own position.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

/// Bytes read from a dump file per refill.
const FILE_CHUNK: usize = 64 * 1024;

/// How far ahead of the slowest replica a streamed snapshot is read.
pub const SOCKET_WINDOW: u64 = 1024 * 1024;

/// A dump file the host opened for one replica's transfer.
pub trait RdbFile {
    /// Its length in bytes, fixed when opened.
    fn len(&self) -> u64;

    /// Whether it is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads at `offset` into `buf`; returns the bytes read (0 at the end).
    /// `Err` is the operating system's reason.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, String>;
}

/// One replica's disk-backed transfer: its file and the chunk being sent.
pub struct FileTransfer {
    file: Box<dyn RdbFile>,
    /// Bytes of the file read into chunks so far.
    read: u64,
    chunk: Vec<u8>,
    /// Bytes of `chunk` already sent.
    sent: usize,
}

impl core::fmt::Debug for FileTransfer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileTransfer")
            .field("len", &self.file.len())
            .field("read", &self.read)
            .field("sent", &self.sent)
            .finish()
    }
}

/// What sending some of a file transfer led to.
pub enum FileProgress {
    /// More to send.
    More,
    /// The whole file is sent.
    Done,
    /// Reading the file failed (the OS's reason).
    Failed(String),
}

impl FileTransfer {
    /// Starts sending `file`, reading its first chunk.
    pub fn new(file: Box<dyn RdbFile>) -> Result<Self, String> {
        let mut transfer = FileTransfer {
            file,
            read: 0,
            chunk: Vec::new(),
            sent: 0,
        };
        match transfer.refill() {
            FileProgress::Failed(reason) => Err(reason),
            _ => Ok(transfer),
        }
    }

    /// The file's length.
    pub fn len(&self) -> u64 {
        self.file.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.file.is_empty()
    }

    /// The bytes to send next.
    pub fn pending(&self) -> &[u8] {
        self.chunk.get(self.sent..).unwrap_or(&[])
    }

    /// `n` bytes of [`FileTransfer::pending`] were sent.
    pub fn advance(&mut self, n: usize) -> FileProgress {
        self.sent = (self.sent + n).min(self.chunk.len());
        if self.sent < self.chunk.len() {
            return FileProgress::More;
        }
        self.refill()
    }

    /// Reads the next chunk, or says the file is all sent.
    fn refill(&mut self) -> FileProgress {
        let left = self.file.len().saturating_sub(self.read);
        if left == 0 {
            self.chunk = Vec::new();
            self.sent = 0;
            return FileProgress::Done;
        }
        let want = (left as usize).min(FILE_CHUNK);
        self.chunk.resize(want, 0);
        match self.file.read_at(self.read, &mut self.chunk) {
            Ok(0) => FileProgress::Failed(String::from("Unexpected end of file")),
            Ok(n) => {
                self.chunk.truncate(n);
                self.read += n as u64;
                self.sent = 0;
                FileProgress::More
            }
            Err(reason) => FileProgress::Failed(reason),
        }
    }
}

/// A snapshot streamed from a child (diskless): the chunks not yet sent
/// to every replica it serves, held once. Positions count bytes from the
/// snapshot's first byte.
#[derive(Debug, Default)]
pub struct SocketTransfer {
    chunks: VecDeque<Vec<u8>>,
    /// Position of the first byte of `chunks[0]`.
    first: u64,
    /// Position after the last byte received.
    end: u64,
    /// The whole snapshot and its end mark are in.
    pub complete: bool,
}

impl SocketTransfer {
    /// Starts a new transfer, forgetting any previous one.
    pub fn start(&mut self) {
        *self = SocketTransfer::default();
    }

    /// Appends bytes of the snapshot.
    pub fn push(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.chunks.push_back(bytes.to_vec());
            self.end += bytes.len() as u64;
        }
    }

    /// Position after the last byte received.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// The bytes from `position` to the end of its chunk.
    pub fn chunk_at(&self, position: u64) -> &[u8] {
        let mut start = self.first;
        for chunk in &self.chunks {
            let end = start + chunk.len() as u64;
            if position < end {
                let at = position.saturating_sub(start) as usize;
                return chunk.get(at..).unwrap_or(&[]);
            }
            start = end;
        }
        &[]
    }

    /// Frees the chunks every replica sent: `slowest` is the smallest
    /// position among them.
    pub fn trim(&mut self, slowest: u64) {
        while let Some(front) = self.chunks.front() {
            let end = self.first + front.len() as u64;
            if end > slowest {
                break;
            }
            self.first = end;
            self.chunks.pop_front();
        }
    }

    /// Whether the pipe may be read: the slowest replica (at `slowest`,
    /// `None` when none is left) has less than [`SOCKET_WINDOW`] to send.
    pub fn wants_data(&self, slowest: Option<u64>) -> bool {
        slowest.is_none_or(|position| self.end - position < SOCKET_WINDOW)
    }

    /// Frees everything (the transfer ended).
    pub fn clear(&mut self) {
        *self = SocketTransfer::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    struct Bytes(Vec<u8>, bool);

    impl RdbFile for Bytes {
        fn len(&self) -> u64 {
            self.0.len() as u64
        }

        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, String> {
            if self.1 && offset > 0 {
                return Err(String::from("Input/output error"));
            }
            let from = &self.0[offset as usize..];
            let n = from.len().min(buf.len());
            buf[..n].copy_from_slice(&from[..n]);
            Ok(n)
        }
    }

    #[test]
    fn a_file_is_sent_in_chunks_at_the_reader_pace() {
        let data: Vec<u8> = (0..3 * FILE_CHUNK + 10).map(|i| i as u8).collect();
        let mut transfer = FileTransfer::new(Box::new(Bytes(data.clone(), false))).unwrap();
        assert_eq!(transfer.len(), data.len() as u64);
        let mut sent = Vec::new();
        loop {
            let pending = transfer.pending();
            assert!(pending.len() <= FILE_CHUNK);
            // A slow socket takes 1000 bytes at a time.
            let n = pending.len().min(1000);
            sent.extend_from_slice(&pending[..n]);
            if let FileProgress::Done = transfer.advance(n) {
                break;
            }
        }
        assert_eq!(sent, data);
    }

    #[test]
    fn a_failing_read_is_reported() {
        let mut transfer = FileTransfer::new(Box::new(Bytes(vec![1; FILE_CHUNK + 1], true))).unwrap();
        let n = transfer.pending().len();
        assert!(matches!(transfer.advance(n), FileProgress::Failed(r) if r == "Input/output error"));
    }

    #[test]
    fn socket_chunks_are_held_once_until_the_slowest_replica_sent_them() {
        let mut transfer = SocketTransfer::default();
        transfer.push(b"abc");
        transfer.push(b"defg");
        assert_eq!(transfer.chunk_at(0), b"abc");
        assert_eq!(transfer.chunk_at(4), b"efg");
        assert_eq!(transfer.chunk_at(7), b"");
        transfer.trim(2);
        assert_eq!(transfer.chunk_at(2), b"c");
        transfer.trim(5);
        assert_eq!(transfer.chunks.len(), 1);
        assert_eq!(transfer.chunk_at(5), b"fg");
        assert!(transfer.wants_data(Some(5)));
        transfer.push(&vec![0; SOCKET_WINDOW as usize]);
        assert!(!transfer.wants_data(Some(5)));
        assert!(transfer.wants_data(None));
    }
}
