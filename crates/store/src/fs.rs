//! The local-filesystem store: a key is a relative path under a root folder, so a folder of
//! originals can be served as is. Content type, cache control and metadata live in a JSON
//! sidecar under `.imgfront-meta/`, which listings skip.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;

use crate::{Object, ObjectStore, Put, StoreError, Version, etag_of};

const META_DIR: &str = ".imgfront-meta";

#[derive(Clone, Debug)]
pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file for a key; refuses anything that could leave the root.
    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        let rel = Path::new(key);
        let safe = !key.is_empty()
            && !key.contains('\0')
            && !key.contains('\\')
            && rel.components().all(|c| matches!(c, Component::Normal(_)))
            && !key
                .split('/')
                .any(|s| matches!(s, "" | "." | ".." | META_DIR));
        if !safe {
            return Err(StoreError::BadKey(key.to_string()));
        }
        Ok(self.root.join(rel))
    }

    /// Refuses a key whose file, once links are followed, lies outside the folder of the key's
    /// first segment (the tenant): a link in one tenant's originals must not serve another's.
    async fn inside_first_folder(&self, key: &str, path: &Path) -> Result<(), StoreError> {
        let first = key.split('/').next().unwrap_or("");
        let (Ok(real), Ok(folder)) = (
            tokio::fs::canonicalize(path).await,
            tokio::fs::canonicalize(self.root.join(first)).await,
        ) else {
            return Err(StoreError::NotFound(key.to_string()));
        };
        if real.starts_with(&folder) {
            Ok(())
        } else {
            Err(StoreError::BadKey(format!(
                "{key} links outside the {first}/ folder"
            )))
        }
    }

    fn meta_path(&self, key: &str) -> PathBuf {
        self.root.join(META_DIR).join(format!("{key}.json"))
    }

    async fn sidecar(&self, key: &str) -> serde_json::Value {
        match tokio::fs::read(self.meta_path(key)).await {
            Ok(b) => serde_json::from_slice(&b).unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        }
    }
}

fn sidecar_metadata(side: &serde_json::Value) -> BTreeMap<String, String> {
    side.get("metadata")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Errors a key can cause are the key's fault (404 or 400), never a storage failure: a key
/// through a file (`a.jpg/w_320`: not a directory) names nothing, and a name over the file
/// system's limit is a bad key.
fn io_err(key: &str, e: std::io::Error) -> StoreError {
    match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => {
            StoreError::NotFound(key.to_string())
        }
        std::io::ErrorKind::InvalidFilename => StoreError::BadKey(format!(
            "{}… (a path segment is longer than the file system allows)",
            key.chars().take(60).collect::<String>()
        )),
        _ => StoreError::backend(key, e),
    }
}

impl ObjectStore for FsStore {
    async fn get(&self, key: &str, max_bytes: u64) -> Result<Object, StoreError> {
        let path = self.path(key)?;
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| io_err(key, e))?;
        self.inside_first_folder(key, &path).await?;
        if !meta.is_file() {
            return Err(StoreError::NotFound(key.to_string()));
        }
        if meta.len() > max_bytes {
            return Err(StoreError::TooLarge {
                key: key.to_string(),
                size: meta.len(),
                max: max_bytes,
            });
        }
        let bytes = Bytes::from(tokio::fs::read(&path).await.map_err(|e| io_err(key, e))?);
        let side = self.sidecar(key).await;
        let text = |name: &str| side.get(name).and_then(|v| v.as_str()).map(str::to_string);
        let metadata = sidecar_metadata(&side);
        Ok(Object {
            etag: etag_of(&bytes),
            bytes,
            content_type: text("content_type"),
            cache_control: text("cache_control"),
            metadata,
        })
    }

    async fn put(&self, key: &str, bytes: Bytes, put: &Put) -> Result<(), StoreError> {
        let path = self.path(key)?;
        let meta_path = self.meta_path(key);
        for dir in [path.parent(), meta_path.parent()].into_iter().flatten() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| io_err(key, e))?;
        }
        // Write then rename, so a concurrent reader never sees half a file.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        tokio::fs::write(&tmp, &bytes)
            .await
            .map_err(|e| io_err(key, e))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| io_err(key, e))?;
        let side = serde_json::json!({
            "content_type": put.content_type,
            "cache_control": put.cache_control,
            "metadata": put.metadata.iter().collect::<BTreeMap<_, _>>(),
        });
        tokio::fs::write(&meta_path, side.to_string())
            .await
            .map_err(|e| io_err(key, e))
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let path = self.path(key)?;
        Ok(tokio::fs::metadata(path)
            .await
            .map(|m| m.is_file())
            .unwrap_or(false))
    }

    async fn metadata(&self, key: &str) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        if !self.exists(key).await? {
            return Ok(None);
        }
        Ok(Some(sidecar_metadata(&self.sidecar(key).await)))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || {
            let mut keys = Vec::new();
            walk(&root, &root, &mut keys).map_err(|e| io_err(&prefix, e))?;
            keys.retain(|k| k.starts_with(&prefix));
            keys.sort();
            Ok(keys)
        })
        .await
        .map_err(|e| StoreError::backend("list", e))?
    }

    async fn delete(&self, keys: &[String]) -> Result<usize, StoreError> {
        for key in keys {
            let path = self.path(key)?;
            for p in [path, self.meta_path(key)] {
                match tokio::fs::remove_file(&p).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(key, e)),
                }
            }
        }
        Ok(keys.len())
    }

    /// A folder keeps no versions: each key once.
    async fn list_versions(&self, prefix: &str) -> Result<Vec<Version>, StoreError> {
        Ok(self
            .list(prefix)
            .await?
            .into_iter()
            .map(Version::unversioned)
            .collect())
    }

    async fn delete_versions(&self, versions: &[Version]) -> Result<usize, StoreError> {
        let keys: Vec<String> = versions.iter().map(|v| v.key.clone()).collect();
        self.delete(&keys).await
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name() == META_DIR {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &path, out)?;
        } else if kind.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            let key: Vec<_> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect();
            out.push(key.join("/"));
        }
    }
    Ok(())
}
