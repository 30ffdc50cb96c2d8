//! Sessions in Redis, for server nodes that share no disk.
//!
//! Each session is one key, `<prefix>s:<id>` = `user_id:created_at:expires_at`, which Redis
//! expires itself at `expires_at`; each user has a set `<prefix>u:<user_id>` of their session
//! ids, so "sign out everywhere" is one lookup. Calls are synchronous, as [`SessionStore`]'s
//! are (they run on blocking threads), over a small pool of connections with time-outs: an
//! unreachable Redis answers an error within the time-out, and a failing store signs
//! requests out rather than letting them in.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::Commands;

use crate::session::{SessionId, SessionRecord, SessionStore, StoreError};

/// How long connecting, or one command, may take.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Idle connections kept for reuse.
const POOL: usize = 16;

/// A [`SessionStore`] in Redis.
pub struct RedisSessionStore {
    client: redis::Client,
    prefix: String,
    idle: Mutex<Vec<redis::Connection>>,
}

impl RedisSessionStore {
    /// A store at `url` (`redis://host:6379`, `rediss://…` for TLS), with keys starting with
    /// `prefix` (for example `rally:scoreboard:`). Connects lazily.
    pub fn open(url: &str, prefix: impl Into<String>) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(store_error)?;
        Ok(RedisSessionStore {
            client,
            prefix: prefix.into(),
            idle: Mutex::new(Vec::new()),
        })
    }

    fn session_key(&self, id: &SessionId) -> String {
        format!("{}s:{}", self.prefix, id.as_str())
    }

    fn user_key(&self, user_id: i64) -> String {
        format!("{}u:{user_id}", self.prefix)
    }

    /// Runs `f` on a pooled connection; a connection that failed is dropped, not reused.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut connection = match pooled {
            Some(c) => c,
            None => {
                let c = self
                    .client
                    .get_connection_with_timeout(TIMEOUT)
                    .map_err(store_error)?;
                c.set_read_timeout(Some(TIMEOUT)).map_err(store_error)?;
                c.set_write_timeout(Some(TIMEOUT)).map_err(store_error)?;
                c
            }
        };
        let result = f(&mut connection).map_err(store_error)?;
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL {
            idle.push(connection);
        }
        Ok(result)
    }
}

fn store_error(e: redis::RedisError) -> StoreError {
    StoreError(Box::new(e))
}

/// `user_id:created_at:expires_at`; `None` for anything else (a foreign or damaged value is
/// treated as no session).
fn decode(id: &SessionId, value: &str) -> Option<SessionRecord> {
    let mut parts = value.split(':');
    let record = SessionRecord {
        id: id.clone(),
        user_id: parts.next()?.parse().ok()?,
        created_at: parts.next()?.parse().ok()?,
        expires_at: parts.next()?.parse().ok()?,
    };
    parts.next().is_none().then_some(record)
}

impl SessionStore for RedisSessionStore {
    fn insert(&self, record: &SessionRecord) -> Result<(), StoreError> {
        let key = self.session_key(&record.id);
        let user = self.user_key(record.user_id);
        let value = format!(
            "{}:{}:{}",
            record.user_id, record.created_at, record.expires_at
        );
        let expires = i64::try_from(record.expires_at).unwrap_or(i64::MAX);
        self.with(|c| {
            redis::pipe()
                .atomic()
                .set(&key, value)
                .ignore()
                .expire_at(&key, expires)
                .ignore()
                .sadd(&user, record.id.as_str())
                .ignore()
                // The index lives as long as the user's longest session.
                .cmd("EXPIREAT")
                .arg(&user)
                .arg(expires)
                .arg("GT")
                .ignore()
                .cmd("EXPIREAT")
                .arg(&user)
                .arg(expires)
                .arg("NX")
                .ignore()
                .query::<()>(c)
        })
    }

    fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let key = self.session_key(id);
        let value: Option<String> = self.with(|c| c.get(&key))?;
        Ok(value.and_then(|v| decode(id, &v)))
    }

    fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        let key = self.session_key(id);
        let value: Option<String> = self.with(|c| c.get_del(&key))?;
        if let Some(record) = value.and_then(|v| decode(id, &v)) {
            let user = self.user_key(record.user_id);
            self.with(|c| c.srem::<_, _, ()>(&user, id.as_str()))?;
        }
        Ok(())
    }

    fn remove_user(&self, user_id: i64) -> Result<(), StoreError> {
        let user = self.user_key(user_id);
        let ids: Vec<String> = self.with(|c| c.smembers(&user))?;
        let keys: Vec<String> = ids
            .iter()
            .filter_map(|id| SessionId::parse(id))
            .map(|id| self.session_key(&id))
            .collect();
        self.with(|c| {
            let mut pipe = redis::pipe();
            pipe.atomic();
            for key in &keys {
                pipe.del(key).ignore();
            }
            pipe.del(&user).ignore().query::<()>(c)
        })
    }

    fn remove_expired(&self, _now: u64) -> Result<usize, StoreError> {
        // Redis expires the keys itself, at `expires_at`.
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_decodes_only_in_its_own_shape() {
        let id = SessionId::parse("0123456789abcdef0123456789abcdef").unwrap();
        let record = decode(&id, "42:100:200").unwrap();
        assert_eq!(
            (record.user_id, record.created_at, record.expires_at),
            (42, 100, 200)
        );
        for bad in ["", "42", "42:100", "x:100:200", "42:100:200:9", "-1:-1:-1"] {
            assert!(decode(&id, bad).is_none(), "{bad:?}");
        }
    }
}
