//! The RDB format's building blocks: the checksum, the string compression
//! and the compact blobs Redis stores aggregates in.
//!
//! Everything here works on byte slices already in memory (the streaming
//! decoder hands over complete blobs) and never does I/O. Every decoder is
//! total: any input gives `Ok` or an `Err` naming what is wrong, never a
//! panic, and nothing is allocated from a length read in the input beyond
//! what the input's own size can justify. Decoders yield slices and
//! integers, one element at a time, without allocating per element.

pub mod crc64;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod ziplist;
pub mod zipmap;
