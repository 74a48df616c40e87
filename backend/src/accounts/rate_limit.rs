//! Login attempts per client address: a burst, then one more every few
//! seconds. Only attempts count, whether right or wrong, so guessing is
//! slow and a person who mistypes twice is not locked out.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

pub struct LoginLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    /// `burst` attempts at once, then one per `every`.
    pub fn new(burst: u32, every: Duration) -> LoginLimiter {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(every)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        LoginLimiter {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Whether `client` may try now.
    pub fn attempt(&self, client: IpAddr) -> bool {
        // Forget quiet clients now and then so the map stays small.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client).is_ok()
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
        assert!(limiter.attempt(a));
        assert!(limiter.attempt(a));
        assert!(limiter.attempt(a));
        assert!(!limiter.attempt(a));
        assert!(limiter.attempt(b), "another address has its own budget");
    }
}
