//! Test support shared by the end-to-end tests and the bench.

pub mod chromium;

/// A new, empty database on the PostgreSQL server `admin_url` names (an
/// admin's URL), named `<prefix>_<pid>_<nanos>`; returns its URL.
pub async fn fresh_database(admin_url: &str, prefix: &str) -> Result<String, String> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin_url)
        .await
        .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .map_err(|e| format!("creating {name}: {e}"))?;
    match admin_url.rfind('/') {
        Some(at) => Ok(format!("{}/{name}", &admin_url[..at])),
        None => Err(format!("{admin_url} has no database part")),
    }
}
