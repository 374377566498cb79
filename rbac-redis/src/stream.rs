//! The commands on the stream and the shapes of their replies: `XADD`s
//! followed by a trim, paged `XRANGE`, `XREAD BLOCK`.

use std::time::Duration;

use rbac_axum::Revocation;
use redis::aio::MultiplexedConnection;
use redis::{Cmd, ErrorKind, RedisError, RedisResult, Value};

use crate::entry::{self, OwnedRevocation};
use crate::settings::{PAGE, Settings};

/// One entry as read, before decoding: its id and its fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawEntry<'a> {
    /// The entry's id, `<milliseconds>-<sequence>`.
    pub(crate) id: &'a str,
    /// Its fields, for [`entry::decode`].
    pub(crate) fields: &'a Value,
}

/// Adds every one of `revocations`, a page of `XADD`s per round trip, then
/// trims what is older than the trim window before the last id Redis gave
/// (on Redis's clock, so that the clocks' difference does not matter). A
/// failed trim is only logged: the entries are in, and the next write
/// trims.
pub(crate) async fn add_all(
    connection: &mut MultiplexedConnection,
    settings: &Settings,
    revocations: &[OwnedRevocation],
) -> RedisResult<()> {
    let mut last_id = None;
    for page in revocations.chunks(PAGE) {
        let mut pipeline = redis::pipe();
        for revocation in page {
            pipeline.add_command(xadd(settings, revocation.as_revocation()));
        }
        let ids: Vec<String> = pipeline.query_async(connection).await?;
        last_id = ids.into_iter().next_back().or(last_id);
    }
    if let Some(id) = last_id {
        trim(connection, settings, &id).await;
    }
    Ok(())
}

/// `XADD {stream} * <fields>`.
fn xadd(settings: &Settings, revocation: Revocation<'_>) -> Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(&settings.stream_key).arg("*");
    entry::append_fields(&mut cmd, revocation);
    cmd
}

/// `XTRIM {stream} MINID ~ <ms>`, where `ms` is the trim window before
/// `added_id`; nothing when the id is not a stream id or the window reaches
/// back before the epoch. Failures are logged.
async fn trim(connection: &mut MultiplexedConnection, settings: &Settings, added_id: &str) {
    let window = u64::try_from(settings.trim_window().as_millis()).unwrap_or(u64::MAX);
    let Some(threshold) = id_millis(added_id).and_then(|ms| ms.checked_sub(window)) else {
        return;
    };
    let trimmed: RedisResult<u64> = redis::cmd("XTRIM")
        .arg(&settings.stream_key)
        .arg("MINID")
        .arg("~")
        .arg(threshold)
        .query_async(connection)
        .await;
    match trimmed {
        Ok(count) if count > 0 => tracing::debug!(count, "revocation stream trimmed"),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "revocation stream not trimmed (the next write will)"),
    }
}

/// The milliseconds part of a stream id.
fn id_millis(id: &str) -> Option<u64> {
    id.split_once('-')?.0.parse().ok()
}

/// `XRANGE {stream} <start> + COUNT <PAGE>`: the first page, or the one
/// after the entry `after`.
pub(crate) fn xrange(settings: &Settings, after: Option<&str>) -> Cmd {
    let mut cmd = redis::cmd("XRANGE");
    cmd.arg(&settings.stream_key);
    match after {
        Some(id) => cmd.arg(format!("({id}")),
        None => cmd.arg("-"),
    };
    cmd.arg("+").arg("COUNT").arg(PAGE);
    cmd
}

/// `XREAD COUNT <PAGE> BLOCK <block> STREAMS {stream} <after>`: `block` is
/// at most the configured block time, at least 1 ms (0 would block for
/// ever).
pub(crate) fn xread(settings: &Settings, after: &str, block: Duration) -> Cmd {
    let millis = usize::try_from(block.min(settings.block).as_millis()).unwrap_or(usize::MAX);
    let mut cmd = redis::cmd("XREAD");
    cmd.arg("COUNT").arg(PAGE).arg("BLOCK").arg(millis.max(1));
    cmd.arg("STREAMS").arg(&settings.stream_key).arg(after);
    cmd
}

/// The entries of an `XRANGE` reply.
pub(crate) fn range_entries(reply: &Value) -> RedisResult<Vec<RawEntry<'_>>> {
    let Value::Array(entries) = reply else {
        return Err(unexpected("XRANGE: not a list of entries"));
    };
    entries.iter().map(raw_entry).collect()
}

/// The entries of an `XREAD` reply for one stream: none when it timed out
/// (nil), else the list under the stream's name (`[[name, entries]]`, or a
/// map from name to entries over RESP3).
pub(crate) fn read_entries(reply: &Value) -> RedisResult<Vec<RawEntry<'_>>> {
    let entries = match reply {
        Value::Nil => return Ok(Vec::new()),
        Value::Array(streams) => streams.first().and_then(|stream| match stream {
            Value::Array(pair) if pair.len() == 2 => Some(&pair[1]),
            _ => None,
        }),
        Value::Map(streams) => streams.first().map(|(_, entries)| entries),
        _ => None,
    };
    match entries {
        Some(entries) => range_entries(entries),
        None => Err(unexpected("XREAD: not a list of streams")),
    }
}

/// An entry of a reply: `[id, fields]`.
fn raw_entry(entry: &Value) -> RedisResult<RawEntry<'_>> {
    match entry {
        Value::Array(pair) if pair.len() == 2 => match entry::text(&pair[0]) {
            Some(id) => Ok(RawEntry { id, fields: &pair[1] }),
            None => Err(unexpected("stream entry id is not text")),
        },
        _ => Err(unexpected("stream entry is not [id, fields]")),
    }
}

fn unexpected(what: &'static str) -> RedisError {
    RedisError::from((ErrorKind::UnexpectedReturnType, what))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn entry(id: &str) -> Value {
        Value::Array(vec![bulk(id), Value::Array(vec![bulk("v"), bulk("1")])])
    }

    #[test]
    fn ids_give_their_milliseconds() {
        assert_eq!(id_millis("1796066223492-0"), Some(1_796_066_223_492));
        assert_eq!(id_millis("12-7"), Some(12));
        assert_eq!(id_millis("12"), None);
        assert_eq!(id_millis("x-1"), None);
    }

    #[test]
    fn read_replies_of_both_protocols_give_their_entries() {
        let entries = Value::Array(vec![entry("1-0"), entry("2-0")]);
        let resp2 = Value::Array(vec![Value::Array(vec![bulk("k"), entries.clone()])]);
        let resp3 = Value::Map(vec![(bulk("k"), entries)]);
        for reply in [resp2, resp3] {
            let ids: Vec<_> =
                read_entries(&reply).expect("entries").iter().map(|entry| entry.id).collect();
            assert_eq!(ids, ["1-0", "2-0"]);
        }
        assert!(read_entries(&Value::Nil).expect("a timeout").is_empty());
        assert!(read_entries(&Value::Int(1)).is_err());
        assert!(range_entries(&Value::Array(vec![Value::Array(vec![bulk("1-0")])])).is_err());
    }
}
