//! The bounds of collecting one list across pages, for every paging provider: a provider that
//! answers forever stops at a bound (exit 8 naming it), not at the machine's memory.
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::model::ProviderKind;

pub const MAX_PAGES: usize = 1_000;
pub const MAX_ITEMS: usize = 100_000;
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// Counts the pages, items and bytes of one list; shareable by concurrent page readers.
pub struct ListBounds {
    provider: ProviderKind,
    pages: AtomicUsize,
    items: AtomicUsize,
    bytes: AtomicUsize,
}

impl ListBounds {
    pub fn new(provider: ProviderKind) -> Self {
        ListBounds {
            provider,
            pages: AtomicUsize::new(0),
            items: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
        }
    }

    /// Counts one page read for `what`; an error once any bound is passed.
    pub fn page(&self, what: &str, items: usize, bytes: usize) -> Result<()> {
        let pages = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        let items = self.items.fetch_add(items, Ordering::Relaxed) + items;
        let bytes = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let passed = if pages > MAX_PAGES {
            Some(format!("{MAX_PAGES} pages"))
        } else if items > MAX_ITEMS {
            Some(format!("{MAX_ITEMS} items"))
        } else if bytes > MAX_BYTES {
            Some(format!("{} MiB", MAX_BYTES >> 20))
        } else {
            None
        };
        match passed {
            None => Ok(()),
            Some(bound) => Err(Error::provider_error(format!(
                "{} kept sending pages of {what}: stopped at the bound of {bound} per list",
                self.provider
            ))
            .with_provider(self.provider)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_is_named() {
        let bounds = ListBounds::new(ProviderKind::Cosmos);
        assert!(bounds.page("x", MAX_ITEMS, 10).is_ok());
        let error = bounds.page("x", 1, 10).unwrap_err();
        assert!(error.message.contains("100000 items"), "{}", error.message);
        let bounds = ListBounds::new(ProviderKind::Cosmos);
        let error = bounds.page("x", 0, MAX_BYTES + 1).unwrap_err();
        assert!(error.message.contains("256 MiB"));
        let bounds = ListBounds::new(ProviderKind::Cosmos);
        for _ in 0..MAX_PAGES {
            bounds.page("x", 0, 0).unwrap();
        }
        assert!(bounds
            .page("x", 0, 0)
            .unwrap_err()
            .message
            .contains("1000 pages"));
    }
}
