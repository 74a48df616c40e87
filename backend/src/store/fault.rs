//! Storage faults: the disk, not the query, is why a write failed. People
//! get told which, instead of an opaque internal error.

use super::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    Full,
    ReadOnly,
    Io,
}

impl std::fmt::Display for StorageFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageFault::Full => "the disk holding Tandem's data is full",
            StorageFault::ReadOnly => "Tandem's data directory is read-only",
            StorageFault::Io => "Tandem cannot write to its data directory (I/O error)",
        })
    }
}

impl StoreError {
    /// The storage fault behind this error, if the disk is the cause.
    pub fn storage_fault(&self) -> Option<StorageFault> {
        match self {
            StoreError::Database(sqlx::Error::Io(_)) => Some(StorageFault::Io),
            StoreError::Database(sqlx::Error::Database(error)) => {
                error.code().and_then(|code| fault_from_code(&code))
            }
            _ => None,
        }
    }

    /// What a person should read: the storage fault when there is one.
    pub fn explain(&self) -> String {
        match self.storage_fault() {
            Some(fault) => fault.to_string(),
            None => self.to_string(),
        }
    }
}

impl super::AppendError {
    pub fn explain(&self) -> String {
        match self {
            super::AppendError::Store(error) => error.explain(),
            super::AppendError::Stopped => self.to_string(),
        }
    }
}

/// PostgreSQL SQLSTATEs (always five characters) and SQLite result codes
/// (at most four digits; extended codes keep the primary in the low byte).
fn fault_from_code(code: &str) -> Option<StorageFault> {
    match code {
        "53100" => return Some(StorageFault::Full),
        "25006" => return Some(StorageFault::ReadOnly),
        "58030" => return Some(StorageFault::Io),
        _ if code.len() == 5 => return None,
        _ => {}
    }
    match code.parse::<i64>().ok()? & 0xff {
        13 => Some(StorageFault::Full),
        8 => Some(StorageFault::ReadOnly),
        10 | 14 => Some(StorageFault::Io),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_and_postgres_states_are_recognised() {
        assert_eq!(fault_from_code("13"), Some(StorageFault::Full));
        assert_eq!(fault_from_code("778"), Some(StorageFault::Io)); // IOERR_WRITE
        assert_eq!(fault_from_code("1032"), Some(StorageFault::ReadOnly)); // READONLY_DBMOVED
        assert_eq!(fault_from_code("53100"), Some(StorageFault::Full));
        assert_eq!(fault_from_code("25006"), Some(StorageFault::ReadOnly));
        assert_eq!(fault_from_code("2067"), None); // UNIQUE constraint
        assert_eq!(fault_from_code("23505"), None);
    }
}
