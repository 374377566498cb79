//! Throttling of failed logins: password guessing is slowed per account
//! and per client address, while the account's owner, on an address of
//! their own, can still log in.
//!
//! Three limits count failed logins only, each a generic cell rate
//! (GCRA: a burst, then one more failure per period):
//!
//! | key | burst | then |
//! |---|---|---|
//! | username and client address | 5 | 1 per minute |
//! | client address | 20 | 1 per 15 s |
//! | username | 50 | 1 per 6 s |
//!
//! A login is refused with 429 and `Retry-After` (the longest wait of the
//! limits that hold), before its password is checked, while the pair or
//! the address is over its limit. Any other login is counted as a failure
//! as it begins, so logins sent together cannot all pass before the first
//! one fails, and one abandoned halfway still counts; a success takes its
//! count back and clears its pair. A refused login is not counted.
//!
//! The username limit is for attacks from many addresses: while it is
//! exceeded, addresses that have failed for that username are refused, and
//! a new address gets one guess before it is one of them. The account's
//! owner, on an address that has not failed, logs in. One address reaches
//! its own limits (20 failures, then 4 a minute) long before the
//! username's (50, then 10 a minute), so a single flooding address never
//! trips it.
//!
//! The client address is the TCP peer's: no proxy header is trusted. An
//! IPv6 client counts by its /64, which one host usually holds whole. The
//! keys are a keyed hash of the username (not the name itself) and the
//! address; at most [`MAX_KEYS`] of each are kept, forgotten once their
//! limit has recovered. When a table is full of live entries, new keys are
//! refused (429) rather than let through unthrottled.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Live entries each table holds at most.
pub(crate) const MAX_KEYS: usize = 100_000;

/// How often forgotten entries are swept out.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// How often at most while a table is full.
const SWEEP_FULL_EVERY: Duration = Duration::from_secs(1);

/// A limit: `burst` failures at once, then one per `period`.
#[derive(Debug, Clone, Copy)]
struct Rate {
    burst: u32,
    period: Duration,
}

const PAIR: Rate = Rate { burst: 5, period: Duration::from_secs(60) };
const ADDRESS: Rate = Rate { burst: 20, period: Duration::from_secs(15) };
const USERNAME: Rate = Rate { burst: 50, period: Duration::from_secs(6) };

/// Where a client connects from, as throttling counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ClientKey {
    /// An IPv4 address (also when written as IPv4-mapped IPv6).
    V4(u32),
    /// The /64 prefix of an IPv6 address.
    V6Prefix(u64),
    /// No peer address is known (a request made in-process, without a
    /// socket): all such requests count as one client.
    Unknown,
}

impl ClientKey {
    /// The key of a TCP peer, if there is one.
    pub(crate) fn of(peer: Option<SocketAddr>) -> ClientKey {
        match peer.map(|peer| peer.ip().to_canonical()) {
            Some(IpAddr::V4(v4)) => ClientKey::V4(v4.to_bits()),
            Some(IpAddr::V6(v6)) => ClientKey::V6Prefix((v6.to_bits() >> 64) as u64),
            None => ClientKey::Unknown,
        }
    }
}

/// The address as logs show it: `192.0.2.1`, `2001:db8:0:1::/64`.
impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            ClientKey::V4(bits) => Ipv4Addr::from_bits(bits).fmt(f),
            ClientKey::V6Prefix(prefix) => {
                write!(f, "{}/64", Ipv6Addr::from_bits(u128::from(prefix) << 64))
            }
            ClientKey::Unknown => f.write_str("unknown"),
        }
    }
}

/// Which limit refused a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// This username from this address.
    Pair,
    /// This address, whatever the username.
    Address,
    /// This username, from addresses that failed for it.
    Username,
    /// A table was full of live entries.
    Full,
}

impl Limit {
    /// The limit's name in logs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Limit::Pair => "username and address",
            Limit::Address => "address",
            Limit::Username => "username",
            Limit::Full => "throttle table full",
        }
    }
}

/// A login refused for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Throttled {
    /// The limit that refused it.
    pub(crate) limit: Limit,
    /// How long until an attempt is allowed.
    pub(crate) retry_after: Duration,
}

/// The failed-login counts; shared by every request.
#[derive(Debug)]
pub(crate) struct LoginThrottle {
    usernames: RandomState,
    tables: Mutex<Tables>,
}

#[derive(Debug)]
struct Tables {
    pairs: Cells<(u64, ClientKey)>,
    addresses: Cells<ClientKey>,
    usernames: Cells<u64>,
    last_sweep: Instant,
}

impl LoginThrottle {
    /// Empty tables, with a fresh key for hashing usernames.
    pub(crate) fn new() -> LoginThrottle {
        LoginThrottle::starting_at(Instant::now())
    }

    fn starting_at(now: Instant) -> LoginThrottle {
        LoginThrottle {
            usernames: RandomState::new(),
            tables: Mutex::new(Tables {
                pairs: Cells::new(PAIR),
                addresses: Cells::new(ADDRESS),
                usernames: Cells::new(USERNAME),
                last_sweep: now,
            }),
        }
    }

    /// Starts a login for `username` from `client`: refused while one of
    /// the limits holds; otherwise counted as a failure at once, before
    /// the password is checked, so that logins sent together cannot all
    /// pass the check before the first failure is counted, and a login
    /// abandoned halfway still counts. [`succeeded`](Self::succeeded) or
    /// [`not_judged`](Self::not_judged) takes the count back.
    pub(crate) fn begin(&self, username: &str, client: ClientKey) -> Result<(), Throttled> {
        self.begin_at(self.usernames.hash_one(username), client, Instant::now())
    }

    /// The login begun for `username` from `client` succeeded: its pair's
    /// failures are forgotten, and its count taken back from the others.
    pub(crate) fn succeeded(&self, username: &str, client: ClientKey) {
        let user = self.usernames.hash_one(username);
        let now = Instant::now();
        let mut tables = self.lock();
        tables.pairs.cells.remove(&(user, client));
        tables.addresses.take_back(&client, now);
        tables.usernames.take_back(&user, now);
    }

    /// The login begun for `username` from `client` was not judged (the
    /// server could not check the password): its count is taken back.
    pub(crate) fn not_judged(&self, username: &str, client: ClientKey) {
        let user = self.usernames.hash_one(username);
        let now = Instant::now();
        let mut tables = self.lock();
        tables.pairs.take_back(&(user, client), now);
        tables.addresses.take_back(&client, now);
        tables.usernames.take_back(&user, now);
    }

    fn begin_at(&self, user: u64, client: ClientKey, now: Instant) -> Result<(), Throttled> {
        let mut tables = self.lock();
        tables.sweep_if_due(now);
        let pair = (user, client);
        // Every limit that holds, the longest wait reported: a client told
        // the shortest would come back too early.
        let mut refused: Option<Throttled> = None;
        let mut refuse = |limit, wait: Option<Duration>| {
            if let Some(retry_after) = wait
                && refused.is_none_or(|longest| retry_after > longest.retry_after)
            {
                refused = Some(Throttled { limit, retry_after });
            }
        };
        refuse(Limit::Pair, tables.pairs.wait(&pair, now));
        refuse(Limit::Address, tables.addresses.wait(&client, now));
        // Only where this address has failed for this username.
        if tables.pairs.cells.contains_key(&pair) {
            refuse(Limit::Username, tables.usernames.wait(&user, now));
        }
        if let Some(refused) = refused {
            return Err(refused);
        }
        let full = tables.pairs.full_without(&pair)
            || tables.addresses.full_without(&client)
            || tables.usernames.full_without(&user);
        if full {
            return Err(Throttled { limit: Limit::Full, retry_after: SWEEP_FULL_EVERY });
        }
        tables.pairs.count(&pair, now);
        tables.addresses.count(&client, now);
        tables.usernames.count(&user, now);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        // Each update leaves the tables consistent: a panic cannot leave
        // one half done.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Tables {
    /// Forgets recovered keys every [`SWEEP_EVERY`], and as often as every
    /// [`SWEEP_FULL_EVERY`] while a table is full: a full table refuses new
    /// keys only until its recovered ones are gone.
    fn sweep_if_due(&mut self, now: Instant) {
        let since = now.saturating_duration_since(self.last_sweep);
        let full = [self.pairs.cells.len(), self.addresses.cells.len(), self.usernames.cells.len()]
            .into_iter()
            .any(|len| len >= MAX_KEYS);
        if since >= SWEEP_EVERY || (full && since >= SWEEP_FULL_EVERY) {
            self.pairs.sweep(now);
            self.addresses.sweep(now);
            self.usernames.sweep(now);
            self.last_sweep = now;
        }
    }
}

/// One limit's cells: per key, the theoretical arrival time of its next
/// failure (GCRA's TAT).
#[derive(Debug)]
struct Cells<K> {
    rate: Rate,
    cells: HashMap<K, Instant>,
}

impl<K: Hash + Eq + Copy> Cells<K> {
    fn new(rate: Rate) -> Cells<K> {
        Cells { rate, cells: HashMap::new() }
    }

    /// How far past the TAT a key may be and still fail once more.
    fn tolerance(&self) -> Duration {
        self.rate.period.saturating_mul(self.rate.burst.saturating_sub(1))
    }

    /// How long `key` must wait before its next attempt, if at all.
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        let tat = *self.cells.get(key)?;
        let allowed_at = tat.checked_sub(self.tolerance()).unwrap_or(now);
        (allowed_at > now).then(|| allowed_at - now)
    }

    /// Counts one failure of `key`. Over [`MAX_KEYS`], a new key is not
    /// stored; [`LoginThrottle::begin`] refuses it instead.
    fn count(&mut self, key: &K, now: Instant) {
        let period = self.rate.period;
        if let Some(tat) = self.cells.get_mut(key) {
            *tat = (*tat).max(now) + period;
        } else if self.cells.len() < MAX_KEYS {
            self.cells.insert(*key, now + period);
        }
    }

    /// Takes one counted failure of `key` back.
    fn take_back(&mut self, key: &K, now: Instant) {
        let period = self.rate.period;
        if let Some(tat) = self.cells.get_mut(key) {
            match tat.checked_sub(period).filter(|earlier| *earlier > now) {
                Some(earlier) => *tat = earlier,
                None => {
                    self.cells.remove(key);
                }
            }
        }
    }

    /// Whether the table is full and holds no entry for `key`.
    fn full_without(&self, key: &K) -> bool {
        self.cells.len() >= MAX_KEYS && !self.cells.contains_key(key)
    }

    /// Forgets keys whose limit has fully recovered.
    fn sweep(&mut self, now: Instant) {
        self.cells.retain(|_, tat| *tat > now);
        self.cells.shrink_to(self.cells.len() * 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: u64 = 1;
    const BOB: u64 = 2;

    fn client(last: u8) -> ClientKey {
        ClientKey::of(Some(SocketAddr::from((Ipv4Addr::new(192, 0, 2, last), 40000))))
    }

    /// `times` logins begun, and failed.
    fn fail(throttle: &LoginThrottle, user: u64, client: ClientKey, now: Instant, times: u32) {
        for _ in 0..times {
            assert_eq!(throttle.begin_at(user, client, now), Ok(()));
        }
    }

    #[test]
    fn a_pair_gets_its_burst_then_one_failure_a_minute() {
        let now = Instant::now();
        let throttle = LoginThrottle::starting_at(now);
        fail(&throttle, ALICE, client(1), now, 5);
        let refused = throttle.begin_at(ALICE, client(1), now).expect_err("over the burst");
        assert_eq!(refused, Throttled { limit: Limit::Pair, retry_after: PAIR.period });

        let later = now + Duration::from_secs(59);
        assert!(throttle.begin_at(ALICE, client(1), later).is_err());
        let minute = now + Duration::from_secs(60);
        fail(&throttle, ALICE, client(1), minute, 1);
        assert!(throttle.begin_at(ALICE, client(1), minute).is_err(), "one per minute");

        // Another user from the same address, and the same user from
        // another address, are not held back.
        assert_eq!(throttle.begin_at(BOB, client(1), now), Ok(()));
        assert_eq!(throttle.begin_at(ALICE, client(2), now), Ok(()));
    }

    #[test]
    fn logins_begun_together_get_the_burst_only() {
        let now = Instant::now();
        let throttle = LoginThrottle::starting_at(now);
        // None has failed yet: each is counted as it begins.
        let begun = (0..100).filter(|_| throttle.begin_at(ALICE, client(1), now).is_ok()).count();
        assert_eq!(begun, PAIR.burst as usize);
    }

    #[test]
    fn an_address_trying_many_usernames_is_held_back() {
        let now = Instant::now();
        let throttle = LoginThrottle::starting_at(now);
        for user in 0..20 {
            fail(&throttle, 100 + user, client(1), now, 1);
        }
        let refused = throttle.begin_at(ALICE, client(1), now).expect_err("the address");
        assert_eq!(refused.limit, Limit::Address);
        assert_eq!(refused.retry_after, ADDRESS.period);
        assert_eq!(throttle.begin_at(ALICE, client(2), now), Ok(()));
    }

    #[test]
    fn the_longest_wait_of_the_limits_that_hold_is_reported() {
        let now = Instant::now();
        let throttle = LoginThrottle::starting_at(now);
        // 15 other usernames, then alice 5 times: the address is at 20,
        // the pair at 5; the address's next cell is further off.
        for user in 0..15 {
            fail(&throttle, 100 + user, client(1), now, 1);
        }
        fail(&throttle, ALICE, client(1), now, 5);
        let refused = throttle.begin_at(ALICE, client(1), now).expect_err("both");
        assert_eq!(refused.limit, Limit::Pair);
        assert_eq!(refused.retry_after, PAIR.period, "a minute, not the address's 15 s");
    }

    #[test]
    fn many_addresses_against_one_username_leave_its_owner_in() {
        let now = Instant::now();
        let throttle = LoginThrottle::starting_at(now);
        // 50 addresses, one failure each: the username's burst.
        for address in 0..50 {
            fail(&throttle, ALICE, client(address), now, 1);
        }
        // An attacking address is refused by the username's limit...
        let refused = throttle.begin_at(ALICE, client(7), now).expect_err("the username");
        assert_eq!(refused.limit, Limit::Username);
        // ...but an address that never failed for it is not: its owner.
        assert_eq!(throttle.begin_at(ALICE, client(200), now), Ok(()));
        assert_eq!(throttle.begin_at(BOB, client(7), now), Ok(()));
    }

    #[test]
    fn a_success_clears_its_pair_and_takes_its_count_back() {
        let throttle = LoginThrottle::new();
        let ip = ClientKey::of(Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 1))));
        // Four failures, then the right password.
        for _ in 0..5 {
            assert_eq!(throttle.begin("alice", ip), Ok(()));
        }
        throttle.succeeded("alice", ip);
        assert_eq!(throttle.begin("alice", ip), Ok(()), "the pair is cleared");
        throttle.not_judged("alice", ip);
        // The address holds alice's 4 failures (the success and the login
        // not judged were taken back); 16 more, each a username of its
        // own, reach its 20.
        for n in 0..16 {
            assert_eq!(throttle.begin(&format!("user-{n}"), ip), Ok(()));
        }
        assert_eq!(throttle.begin("carol", ip).map_err(|t| t.limit), Err(Limit::Address));
    }

    #[test]
    fn recovered_keys_are_swept_and_a_full_table_refuses_new_keys() {
        let now = Instant::now();
        let throttle = LoginThrottle::starting_at(now);
        {
            let mut tables = throttle.lock();
            for user in 0..MAX_KEYS as u64 {
                tables.usernames.count(&user, now);
            }
        }
        let stranger = u64::MAX;
        let refused = throttle.begin_at(stranger, client(1), now).expect_err("full");
        assert_eq!(refused.limit, Limit::Full);
        // A key already held is still decided by its own limit.
        assert_eq!(throttle.begin_at(3, client(1), now), Ok(()));

        // Once the entries have recovered (key 3 counted twice), the next
        // login sweeps them: as soon as a second after, the table being full.
        let later = now + USERNAME.period * 2 + SWEEP_FULL_EVERY;
        assert_eq!(throttle.begin_at(stranger, client(1), later), Ok(()));
        assert_eq!(throttle.lock().usernames.cells.len(), 1);
    }

    #[test]
    fn ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let v6 = |last: u16| {
            ClientKey::of(Some(SocketAddr::from((
                Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, last),
                1,
            ))))
        };
        assert_eq!(v6(1), v6(2));
        let mapped = Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped();
        assert_eq!(ClientKey::of(Some(SocketAddr::from((mapped, 1)))), client(1));
        assert_eq!(ClientKey::of(None), ClientKey::Unknown);
        assert_eq!(v6(1).to_string(), "2001:db8:1:2::/64");
        assert_eq!(client(1).to_string(), "192.0.2.1");
    }
}
