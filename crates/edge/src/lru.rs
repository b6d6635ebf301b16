//! A cache bounded by bytes with least-recently-used eviction and per-entry expiry: the edge
//! cache of `imgfront dev`, and both cache layers of the simulator.

use std::collections::{BTreeMap, HashMap};

struct Entry<V> {
    value: V,
    size: u64,
    expires: u64,
    tick: u64,
}

/// Keys map to entries; `order` maps each entry's last-use tick back to its key, so the least
/// recently used is the first of `order`.
pub struct ByteLru<V> {
    capacity: u64,
    used: u64,
    tick: u64,
    entries: HashMap<String, Entry<V>>,
    order: BTreeMap<u64, String>,
    pub evictions: u64,
}

impl<V> ByteLru<V> {
    pub fn new(capacity: u64) -> Self {
        ByteLru {
            capacity,
            used: 0,
            tick: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            evictions: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn used_bytes(&self) -> u64 {
        self.used
    }

    /// The live entry for `key` at time `now`, marked as just used; expired entries are dropped.
    pub fn get(&mut self, key: &str, now: u64) -> Option<&V> {
        let expired = self.entries.get(key)?.expires <= now;
        if expired {
            self.remove(key);
            return None;
        }
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(key)?;
        self.order.remove(&entry.tick);
        entry.tick = tick;
        self.order.insert(tick, key.to_string());
        Some(&entry.value)
    }

    /// Stores `value` until `expires`, evicting the least recently used entries to make room.
    /// An object larger than the whole cache is not stored (CloudFront likewise skips huge ones).
    pub fn insert(&mut self, key: &str, value: V, size: u64, expires: u64) {
        self.remove(key);
        if size > self.capacity {
            return;
        }
        while self.used + size > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.used -= e.size;
                self.evictions += 1;
            }
        }
        self.tick += 1;
        self.order.insert(self.tick, key.to_string());
        self.entries.insert(
            key.to_string(),
            Entry {
                value,
                size,
                expires,
                tick: self.tick,
            },
        );
        self.used += size;
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let entry = self.entries.remove(key)?;
        self.order.remove(&entry.tick);
        self.used -= entry.size;
        Some(entry.value)
    }

    /// Drops every entry whose key starts with `prefix` (an invalidation of `prefix*`).
    pub fn invalidate_prefix(&mut self, prefix: &str) -> usize {
        let doomed: Vec<String> = self
            .entries
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        for key in &doomed {
            self.remove(key);
        }
        doomed.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_by_bytes() {
        let mut c = ByteLru::new(100);
        c.insert("a", 1, 40, 10);
        c.insert("b", 2, 40, 10);
        assert_eq!(c.get("a", 0), Some(&1)); // a is now the most recent
        c.insert("c", 3, 40, 10); // evicts b
        assert_eq!(c.get("b", 0), None);
        assert_eq!(c.get("a", 0), Some(&1));
        assert_eq!(c.get("c", 0), Some(&3));
        assert_eq!((c.used_bytes(), c.evictions), (80, 1));
    }

    #[test]
    fn expired_entries_miss_and_free_their_bytes() {
        let mut c = ByteLru::new(100);
        c.insert("a", 1, 30, 5);
        assert_eq!(c.get("a", 4), Some(&1));
        assert_eq!(c.get("a", 5), None);
        assert_eq!(c.used_bytes(), 0);
    }

    #[test]
    fn oversized_objects_are_not_cached_and_replacing_keeps_accounting() {
        let mut c = ByteLru::new(100);
        c.insert("huge", 1, 101, 5);
        assert!(c.is_empty());
        c.insert("a", 1, 60, 5);
        c.insert("a", 2, 70, 5);
        assert_eq!((c.len(), c.used_bytes()), (1, 70));
        c.insert("b", 3, 10, 5);
        assert_eq!(c.invalidate_prefix("a"), 1);
        assert_eq!((c.len(), c.used_bytes()), (1, 10));
    }
}
