//! RESP, the Redis serialization protocol: requests in ([`request`]),
//! replies out ([`reply`]), and a general frame decoder ([`frame`]) for
//! reading replies, as a replica reads its master's.
//!
//! Nothing here touches a socket: callers hand in bytes and take bytes out.

pub mod frame;
pub mod reply;
pub mod request;
