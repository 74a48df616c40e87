//! An agent's stdout lines on the runner until the hub has stored them:
//! numbered, kept in a file (not memory) so a long dropped link costs disk,
//! and sent again from the first one the hub lacks when the link is back.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Lines waiting for the hub, at most: past this the runner stops reading
/// the agent's stdout (the agent waits on its writes) until the hub takes
/// some, so nothing is dropped and the disk stays bounded.
pub const MAX_PENDING_BYTES: u64 = 256 * 1024 * 1024;

pub struct LineBuffer {
    path: PathBuf,
    file: File,
    /// Lines not yet taken by the hub: seq, where in the file, how long.
    pending: VecDeque<(u64, u64, u64)>,
    /// Where the next line goes.
    end: u64,
    last_seq: u64,
    taken: u64,
}

impl LineBuffer {
    pub fn create(path: &Path) -> std::io::Result<LineBuffer> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(path)?;
        Ok(LineBuffer {
            path: path.to_path_buf(),
            file,
            pending: VecDeque::new(),
            end: 0,
            last_seq: 0,
            taken: 0,
        })
    }

    /// Keeps a line; returns its number.
    pub fn push(&mut self, text: &str) -> std::io::Result<u64> {
        self.file.seek(SeekFrom::Start(self.end))?;
        self.file.write_all(text.as_bytes())?;
        let len = text.len() as u64;
        self.last_seq += 1;
        self.pending.push_back((self.last_seq, self.end, len));
        self.end += len;
        Ok(self.last_seq)
    }

    /// The hub stored everything through `seq`: forgotten here. Once all
    /// is taken the file starts over.
    pub fn took(&mut self, seq: u64) -> std::io::Result<()> {
        self.taken = self.taken.max(seq.min(self.last_seq));
        while self
            .pending
            .front()
            .is_some_and(|(s, _, _)| *s <= self.taken)
        {
            self.pending.pop_front();
        }
        if self.pending.is_empty() && self.end > 0 {
            self.file.set_len(0)?;
            self.end = 0;
        }
        Ok(())
    }

    /// Every kept line after `seq`, in order.
    pub fn after(&mut self, seq: u64) -> std::io::Result<Vec<(u64, String)>> {
        let wanted: Vec<(u64, u64, u64)> = self
            .pending
            .iter()
            .filter(|(s, _, _)| *s > seq)
            .copied()
            .collect();
        let mut lines = Vec::with_capacity(wanted.len());
        for (s, at, len) in wanted {
            self.file.seek(SeekFrom::Start(at))?;
            let mut bytes = vec![0; usize::try_from(len).unwrap_or(0)];
            self.file.read_exact(&mut bytes)?;
            lines.push((s, String::from_utf8_lossy(&bytes).into_owned()));
        }
        Ok(lines)
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    pub fn pending_bytes(&self) -> u64 {
        self.pending.iter().map(|(_, _, len)| len).sum()
    }

    pub fn is_full(&self) -> bool {
        self.pending_bytes() >= MAX_PENDING_BYTES
    }

    /// Ends the buffer and its file.
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_until_taken_and_come_again_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut buffer = LineBuffer::create(&dir.path().join("p.lines")).unwrap();
        for text in ["one", "two", "three ✓"] {
            buffer.push(text).unwrap();
        }
        assert_eq!(buffer.last_seq(), 3);
        assert_eq!(
            buffer.after(1).unwrap(),
            vec![(2, "two".to_owned()), (3, "three ✓".to_owned())]
        );
        buffer.took(2).unwrap();
        assert_eq!(buffer.after(0).unwrap(), vec![(3, "three ✓".to_owned())]);
        // Everything taken: the file starts over, numbering goes on.
        buffer.took(3).unwrap();
        assert_eq!(
            std::fs::metadata(dir.path().join("p.lines")).unwrap().len(),
            0
        );
        assert_eq!(buffer.push("four").unwrap(), 4);
        assert_eq!(buffer.after(3).unwrap(), vec![(4, "four".to_owned())]);
        // A stale or future acknowledgement changes nothing it should not.
        buffer.took(1).unwrap();
        buffer.took(99).unwrap();
        assert!(buffer.after(0).unwrap().is_empty());
        assert_eq!(buffer.pending_bytes(), 0);
        buffer.remove();
        assert!(!dir.path().join("p.lines").exists());
    }
}
