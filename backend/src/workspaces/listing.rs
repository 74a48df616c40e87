//! The directory picker's reads and writes: a directory's subdirectories,
//! and a new one made below a directory the caller may use.

use super::{Places, WorkspaceRefusal};
use tandem_shared::api::WorkspaceListing;

/// More subdirectories than this are not listed (the listing says so).
const MAX_LISTED: usize = 500;

/// `path`'s subdirectories (the root's when `None`), hidden ones left out.
pub fn list(
    places: &Places,
    path: Option<&str>,
    admin: bool,
) -> Result<WorkspaceListing, WorkspaceRefusal> {
    let root = places.root.display().to_string();
    let real = places.judge(path.unwrap_or(&root), admin)?;
    let entries =
        std::fs::read_dir(&real).map_err(|error| WorkspaceRefusal::Io(error.to_string()))?;
    let mut directories: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .collect();
    directories.sort_by_key(|name| name.to_lowercase());
    let truncated = directories.len() > MAX_LISTED;
    directories.truncate(MAX_LISTED);
    let parent = real
        .parent()
        .filter(|parent| places.allows(parent, admin).is_ok())
        .map(|parent| parent.display().to_string());
    Ok(WorkspaceListing {
        path: real.display().to_string(),
        parent,
        root,
        may_use: places.allows(&real, admin).is_ok(),
        directories,
        truncated,
    })
}

/// Makes `parent/name` and lists it.
pub fn create(
    places: &Places,
    parent: &str,
    name: &str,
    admin: bool,
) -> Result<WorkspaceListing, WorkspaceRefusal> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > super::MAX_DIRECTORY_NAME
        || name == "."
        || name == ".."
        || name.starts_with('.')
        || name.contains('/')
        || name.chars().any(char::is_control)
    {
        return Err(WorkspaceRefusal::BadName(
            "1 to 100 characters, no slash, not starting with a dot".into(),
        ));
    }
    let parent = places.judge(parent, admin)?;
    let made = parent.join(name);
    std::fs::create_dir(&made).map_err(|error| match error.kind() {
        std::io::ErrorKind::AlreadyExists => WorkspaceRefusal::Exists(made.display().to_string()),
        _ => WorkspaceRefusal::Io(format!("cannot make {}: {error}", made.display())),
    })?;
    list(places, Some(&made.display().to_string()), admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_lists_and_makes_folders_below_the_root_only() {
        let dir = std::env::temp_dir().join(format!("tandem-listing-{}", std::process::id()));
        let data = dir.join("data");
        let _ = std::fs::create_dir_all(&data);
        let Ok(places) = Places::open(&dir.join("data/workspaces"), &data) else {
            panic!("places");
        };
        let root = places.root.display().to_string();
        let made = create(&places, &root, "app", false);
        assert!(
            made.as_ref().is_ok_and(|l| l.path.ends_with("/app")),
            "{made:?}"
        );
        let _ = std::fs::create_dir(places.root.join(".hidden"));
        let listing = list(&places, None, false);
        let Ok(listing) = listing else {
            panic!("{listing:?}")
        };
        assert_eq!(listing.directories, vec!["app".to_owned()]);
        assert_eq!(
            listing.parent, None,
            "the root's parent holds Tandem's data"
        );
        assert!(create(&places, &root, "app", false).is_err(), "exists");
        for bad in ["", "..", ".x", "a/b", "a\u{0}b"] {
            assert!(
                matches!(
                    create(&places, &root, bad, false),
                    Err(WorkspaceRefusal::BadName(_))
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            list(&places, Some("/etc"), false),
            Err(WorkspaceRefusal::OutsideRoot(..))
        ));
        assert!(list(&places, Some("/etc"), true).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
