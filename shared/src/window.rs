//! Which entries of a long transcript are in the page at once. A 100,000
//! event session must open fast and scroll smoothly, so the view renders a
//! window of consecutive entries: the newest while it follows the live end,
//! older ones as the reader scrolls up, never more than [`MAX`]. Plain
//! arithmetic, so it is tested here rather than in a browser.

use std::ops::Range;

/// Entries shown when a transcript opens.
pub const FIRST: usize = 200;
/// Entries added (or moved by) when the reader reaches an edge.
pub const STEP: usize = 150;
/// Entries in the page, at most.
pub const MAX: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    size: usize,
    /// Where the window ends; `None` follows the live end.
    end: Option<usize>,
}

impl Default for Window {
    fn default() -> Self {
        Window::live()
    }
}

impl Window {
    /// The newest entries, following the live end.
    pub fn live() -> Window {
        Window {
            size: FIRST,
            end: None,
        }
    }

    pub fn range(&self, len: usize) -> Range<usize> {
        let end = self.end.map_or(len, |end| end.min(len));
        end.saturating_sub(self.size)..end
    }

    pub fn follows_live_end(&self) -> bool {
        self.end.is_none()
    }

    /// The reader reached the top: older entries come in; past [`MAX`] the
    /// newest leave, and the window stops following the live end.
    pub fn older(self, len: usize) -> Window {
        let range = self.range(len);
        if range.start == 0 {
            return self;
        }
        if self.size < MAX {
            return Window {
                size: (self.size + STEP).min(MAX),
                end: self.end,
            };
        }
        Window {
            size: MAX,
            end: Some(range.end.saturating_sub(STEP).max(MAX.min(len))),
        }
    }

    /// The reader reached the bottom of a window behind the live end.
    pub fn newer(self, len: usize) -> Window {
        match self.end {
            None => self,
            Some(end) if end + STEP >= len => Window {
                size: self.size,
                end: None,
            },
            Some(end) => Window {
                size: self.size,
                end: Some(end + STEP),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_transcript_is_shown_whole() {
        assert_eq!(Window::live().range(40), 0..40);
        assert_eq!(Window::live().older(40), Window::live());
    }

    #[test]
    fn a_long_one_opens_at_its_end_and_follows_it() {
        let window = Window::live();
        assert_eq!(window.range(100_000), 99_800..100_000);
        assert_eq!(window.range(100_010), 99_810..100_010);
        assert!(window.follows_live_end());
    }

    #[test]
    fn scrolling_up_grows_to_the_cap_then_slides() {
        let len = 100_000;
        let mut window = Window::live();
        for _ in 0..5 {
            window = window.older(len);
            assert!(window.range(len).len() <= MAX);
        }
        let range = window.range(len);
        assert_eq!(range.len(), MAX);
        assert!(range.start < 100_000 - MAX);
        assert!(!window.follows_live_end(), "the newest left the page");
        // New entries arriving do not move a window the reader holds.
        assert_eq!(window.range(len + 50), range);
    }

    #[test]
    fn scrolling_down_returns_to_the_live_end() {
        let len = 10_000;
        let mut window = Window::live();
        for _ in 0..10 {
            window = window.older(len);
        }
        let mut steps = 0;
        while !window.follows_live_end() {
            window = window.newer(len);
            steps += 1;
            assert!(steps < 100);
        }
        assert_eq!(window.range(len).end, len);
        assert_eq!(window.range(len).len(), MAX);
    }

    #[test]
    fn the_top_of_the_transcript_is_reachable() {
        let len = 2_000;
        let mut window = Window::live();
        for _ in 0..100 {
            window = window.older(len);
        }
        assert_eq!(window.range(len), 0..MAX);
    }
}
