//! Login attempts, limited two ways: per client network (an IPv4 address,
//! or an IPv6 /64, which one household or server usually holds whole) and
//! per account name, so neither one address guessing many names nor many
//! addresses guessing one name goes fast. A burst, then one more every few
//! seconds; only attempts count, right or wrong, so a person who mistypes
//! twice is not locked out.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

pub struct LoginLimiter {
    by_network: DefaultKeyedRateLimiter<IpAddr>,
    by_name: DefaultKeyedRateLimiter<String>,
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// The key an address counts under, for every per-address limit: IPv4
/// (also when mapped into IPv6) by itself, IPv6 by its /64.
pub fn network(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::V6(octets.into())
            }
        },
        v4 => v4,
    }
}

impl LoginLimiter {
    /// `burst` attempts at once, then one per `every`, per network; twice
    /// that per account name (a team behind one address shares the first).
    pub fn new(burst: u32, every: Duration) -> LoginLimiter {
        LoginLimiter {
            by_network: RateLimiter::keyed(quota(burst, every)),
            by_name: RateLimiter::keyed(quota(burst.saturating_mul(2), every / 2)),
        }
    }

    /// Whether `client` may try to log in as `name` now.
    pub fn attempt(&self, client: IpAddr, name: &str) -> bool {
        // Forget quiet keys now and then so the maps stay small.
        if self.by_network.len() > 10_000 {
            self.by_network.retain_recent();
        }
        if self.by_name.len() > 10_000 {
            self.by_name.retain_recent();
        }
        let name: String = name.trim().to_lowercase().chars().take(64).collect();
        let network_ok = self.by_network.check_key(&network(client)).is_ok();
        network_ok && self.by_name.check_key(&name).is_ok()
    }
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(10, Duration::from_secs(6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusal_per_address() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.attempt(a, "ana"));
        assert!(limiter.attempt(a, "bo"));
        assert!(limiter.attempt(a, "cy"));
        assert!(!limiter.attempt(a, "di"));
        assert!(
            limiter.attempt(b, "ana"),
            "another address has its own budget"
        );
    }

    #[test]
    fn many_addresses_guessing_one_name_are_held_back() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let mut allowed = 0;
        for n in 0..50u8 {
            let client: IpAddr = format!("10.1.0.{n}").parse().unwrap();
            if limiter.attempt(client, " Admin ") {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 6, "twice the burst for one name, from anywhere");
        assert!(limiter.attempt("10.2.0.1".parse().unwrap(), "someone-else"));
    }

    #[test]
    fn an_ipv6_network_counts_as_one() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.attempt("2001:db8::1".parse().unwrap(), "a"));
        assert!(limiter.attempt("2001:db8::2".parse().unwrap(), "b"));
        assert!(!limiter.attempt("2001:db8::ffff:3".parse().unwrap(), "c"));
        assert!(limiter.attempt("2001:db8:0:1::1".parse().unwrap(), "d"));
    }
}
