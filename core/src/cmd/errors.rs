//! Redis's shared error replies (`shared.*err` in `server.c`), word for word.

/// `-WRONGTYPE`.
pub const WRONG_TYPE: &[u8] = b"WRONGTYPE Operation against a key holding the wrong kind of value";
/// `-ERR syntax error`.
pub const SYNTAX: &[u8] = b"ERR syntax error";
/// Not an integer or out of range.
pub const NOT_INTEGER: &[u8] = b"ERR value is not an integer or out of range";
/// Not a float.
pub const NOT_FLOAT: &[u8] = b"ERR value is not a valid float";
/// INCR past the i64 range.
pub const OVERFLOW: &[u8] = b"ERR increment or decrement would overflow";
/// An index out of range.
pub const OUT_OF_RANGE: &[u8] = b"ERR index out of range";
/// No such key (RENAME, LSET, …).
pub const NO_SUCH_KEY: &[u8] = b"ERR no such key";
/// Negative where a positive number is required.
pub const MUST_BE_POSITIVE: &[u8] = b"ERR value is out of range, must be positive";
/// A DB index that does not exist.
pub const DB_INDEX_OUT_OF_RANGE: &[u8] = b"ERR DB index is out of range";
/// Authentication needed.
pub const NOAUTH: &[u8] = b"NOAUTH Authentication required.";
/// Wrong password.
pub const WRONG_PASS: &[u8] = b"WRONGPASS invalid username-password pair or user is disabled.";
/// A bad timeout.
pub const TIMEOUT_NOT_FLOAT: &[u8] = b"ERR timeout is not a float or out of range";
/// A negative timeout.
pub const TIMEOUT_NEGATIVE: &[u8] = b"ERR timeout is negative";
/// Source and destination are the same object.
pub const SAME_OBJECT: &[u8] = b"ERR source and destination objects are the same";
/// An EXEC without MULTI.
pub const EXEC_WITHOUT_MULTI: &[u8] = b"ERR EXEC without MULTI";
/// A transaction discarded for earlier errors.
pub const EXEC_ABORT: &[u8] = b"EXECABORT Transaction discarded because of previous errors.";
