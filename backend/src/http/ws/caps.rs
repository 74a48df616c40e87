//! Caps on open share-link sockets: anyone with a link may watch, so a link
//! or an address cannot open sockets without end. A socket holds its place
//! until it closes.

use crate::accounts::rate_limit::network;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Open sockets of one share link, at most.
pub const PER_LINK: usize = 50;
/// Open share-link sockets from one address (an IPv6 /64), at most.
pub const PER_ADDRESS: usize = 20;

#[derive(Default)]
pub struct SocketCaps {
    open: Mutex<HashMap<String, usize>>,
}

/// A socket's places; given back when dropped.
pub struct Held {
    caps: Arc<SocketCaps>,
    keys: Vec<String>,
}

impl SocketCaps {
    /// Places for a socket of `link` from `client`, or `None` when either
    /// is at its cap.
    pub fn hold(self: &Arc<Self>, link: &str, client: IpAddr) -> Option<Held> {
        let keys = [
            (format!("link {link}"), PER_LINK),
            (format!("address {}", network(client)), PER_ADDRESS),
        ];
        let mut open = self.open.lock().ok()?;
        if keys
            .iter()
            .any(|(key, cap)| open.get(key).copied().unwrap_or(0) >= *cap)
        {
            return None;
        }
        for (key, _) in &keys {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        Some(Held {
            caps: self.clone(),
            keys: keys.into_iter().map(|(key, _)| key).collect(),
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(mut open) = self.caps.open.lock() {
            for key in &self.keys {
                if let Some(count) = open.get_mut(key) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        open.remove(key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_and_an_address_have_caps_and_places_come_back() {
        let caps = Arc::new(SocketCaps::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let held: Vec<Held> = (0..PER_ADDRESS)
            .map(|_| caps.hold("l1", a).expect("a place"))
            .collect();
        assert!(caps.hold("l2", a).is_none(), "the address is at its cap");
        drop(held);
        assert!(caps.hold("l2", a).is_some());
        let many: Vec<Held> = (0..PER_LINK)
            .map(|n| {
                let client: IpAddr = format!("10.1.{}.{}", n / 200, n % 200).parse().unwrap();
                caps.hold("busy", client).expect("a place")
            })
            .collect();
        assert!(caps.hold("busy", "10.9.9.9".parse().unwrap()).is_none());
        drop(many);
        assert!(caps.open.lock().unwrap().get("link busy").is_none());
    }
}
