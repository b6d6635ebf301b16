//! `imgfront tenants`: the tenant registry in the CloudFront KeyValueStore the viewer function
//! reads, changed without a redeploy. Each tenant is one key (`{tenant}` = `{"p":1,"r":[…]}`:
//! private, allowed Referers) and, when private, its signing secrets (`sig:{tenant}` = up to
//! two secrets, old and new, during a rotation). Every write is one all-or-nothing `UpdateKeys`
//! batch guarded by the store's ETag, so two operators can never interleave half-applied changes.

use std::collections::BTreeMap;

use aws_sdk_cloudfrontkeyvaluestore::Client;
use aws_sdk_cloudfrontkeyvaluestore::config::endpoint::{
    DefaultResolver, Endpoint, EndpointFuture, Params, ResolveEndpoint,
};
use aws_sdk_cloudfrontkeyvaluestore::types::{DeleteKeyRequestListItem, PutKeyRequestListItem};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use imgfront_spec::config::valid_tenant_id;
use imgfront_spec::{Access, Config};
use serde::Serialize;

/// KeyValueStore limits (CloudFront's "File format for key-value pairs").
pub const MAX_KEY_CHARS: usize = 512;
pub const MAX_VALUE_CHARS: usize = 1024;
/// Puts and deletes sent in one `UpdateKeys` call.
const BATCH: usize = 50;

pub enum Action {
    /// Make the registry match the configuration's tenants (never touching secrets of kept ones).
    Sync { dry_run: bool },
    /// Add or change one tenant.
    Put {
        tenant: String,
        access: Access,
        referers: Vec<String>,
    },
    /// Remove a tenant and its secrets.
    Remove { tenant: String },
    /// Add a new signing secret, keeping the newest old one so URLs signed with it still work.
    Rotate {
        tenant: String,
        secret: Option<String>,
    },
    /// Drop every secret but the newest, once signers have moved to it.
    Retire { tenant: String },
    /// Print the registry (never the secrets).
    List,
}

/// The registry value of one tenant; byte-identical to the CDK app's `registryValue`.
pub fn registry_value(access: Access, referers: &[String]) -> String {
    #[derive(Serialize)]
    struct Value<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        p: Option<u8>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        r: &'a [String],
    }
    let v = Value {
        p: (access == Access::Private).then_some(1),
        r: referers,
    };
    serde_json::to_string(&v).unwrap_or_else(|_| "{}".into())
}

/// What one `UpdateKeys` batch (or several, for many keys) changes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub puts: BTreeMap<String, String>,
    pub deletes: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty()
    }

    fn check(&self) -> Result<(), String> {
        for (k, v) in &self.puts {
            if k.chars().count() > MAX_KEY_CHARS {
                return Err(format!(
                    "key {k:.40}… is over the store's {MAX_KEY_CHARS}-character key limit"
                ));
            }
            if v.chars().count() > MAX_VALUE_CHARS {
                return Err(format!(
                    "the value of {k} is {} characters, over the store's {MAX_VALUE_CHARS}-character limit (fewer Referer patterns?)",
                    v.chars().count()
                ));
            }
        }
        Ok(())
    }
}

fn secrets_key(tenant: &str) -> String {
    format!("sig:{tenant}")
}

fn check_tenant(id: &str) -> Result<(), String> {
    if valid_tenant_id(id) {
        Ok(())
    } else {
        Err(format!(
            "tenant id '{id:.40}' must be 1-63 characters of a-z, 0-9 and '-'"
        ))
    }
}

/// The registry the configuration describes, against what the store holds: changed or new
/// tenants are put, tenants the configuration dropped are deleted with their secrets, and a
/// private tenant's secrets are left as they are (only `rotate` writes them).
pub fn plan_sync(current: &BTreeMap<String, String>, config: &Config) -> Plan {
    let mut plan = Plan::default();
    for t in &config.tenants {
        let want = registry_value(t.access, &t.allowed_referers);
        if current.get(&t.id) != Some(&want) {
            plan.puts.insert(t.id.clone(), want);
        }
    }
    for key in current.keys() {
        let tenant = key.strip_prefix("sig:").unwrap_or(key);
        if config.tenant(tenant).is_none() {
            plan.deletes.push(key.clone());
        }
    }
    plan
}

/// A tenant's secrets after a rotation: the newest existing one, then `new`.
pub fn rotated(current: Option<&str>, new: &str) -> Result<String, String> {
    let mut secrets: Vec<String> = match current {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format!("the stored secrets are not a JSON list of strings: {e}"))?,
        None => Vec::new(),
    };
    if secrets.iter().any(|s| s == new) {
        return Err("that secret is already active".into());
    }
    let keep = secrets.pop();
    let next: Vec<String> = keep.into_iter().chain([new.to_string()]).collect();
    serde_json::to_string(&next).map_err(|e| e.to_string())
}

/// A new secret: 32 random bytes, base64url.
pub fn new_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a secret: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The store, through the KeyValueStore data-plane API (SigV4a-signed by the SDK).
pub struct Store {
    client: Client,
    arn: String,
}

impl Store {
    pub fn new(client: Client, arn: &str) -> Store {
        Store {
            client,
            arn: arn.to_string(),
        }
    }

    async fn etag(&self) -> Result<String, String> {
        let out = self
            .client
            .describe_key_value_store()
            .kvs_arn(&self.arn)
            .send()
            .await
            .map_err(|e| format!("DescribeKeyValueStore {}: {}", self.arn, error_text(&e)))?;
        Ok(out.e_tag().to_string())
    }

    /// Every key and value, following the pages.
    pub async fn all(&self) -> Result<BTreeMap<String, String>, String> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_keys()
                .kvs_arn(&self.arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| format!("ListKeys {}: {}", self.arn, error_text(&e)))?;
            for item in page.items() {
                out.insert(item.key().to_string(), item.value().to_string());
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    /// Applies `plan` in batches, each guarded by the ETag the previous one returned.
    pub async fn apply(&self, plan: &Plan) -> Result<(), String> {
        plan.check()?;
        let mut etag = self.etag().await?;
        let puts: Vec<(&String, &String)> = plan.puts.iter().collect();
        let mut deletes = plan.deletes.iter();
        let mut puts = puts.chunks(BATCH);
        loop {
            let batch_puts = puts.next().unwrap_or(&[]);
            let room = BATCH - batch_puts.len();
            let batch_deletes: Vec<&String> = deletes.by_ref().take(room).collect();
            if batch_puts.is_empty() && batch_deletes.is_empty() {
                return Ok(());
            }
            let mut req = self.client.update_keys().kvs_arn(&self.arn).if_match(&etag);
            for (k, v) in batch_puts {
                let item = PutKeyRequestListItem::builder()
                    .key(*k)
                    .value(*v)
                    .build()
                    .map_err(|e| e.to_string())?;
                req = req.puts(item);
            }
            for k in batch_deletes {
                let item = DeleteKeyRequestListItem::builder()
                    .key(k)
                    .build()
                    .map_err(|e| e.to_string())?;
                req = req.deletes(item);
            }
            let out = req.send().await.map_err(|e| {
                format!(
                    "UpdateKeys {}: {} (the store changed under us? run the command again)",
                    self.arn,
                    error_text(&e)
                )
            })?;
            etag = out.e_tag().to_string();
        }
    }
}

fn error_text<E: std::error::Error + 'static>(
    e: &aws_sdk_cloudfrontkeyvaluestore::error::SdkError<E>,
) -> String {
    match e.as_service_error() {
        Some(s) => s.to_string(),
        None => aws_sdk_cloudfrontkeyvaluestore::error::DisplayErrorContext(e).to_string(),
    }
}

fn describe(plan: &Plan) {
    for (k, v) in &plan.puts {
        if k.starts_with("sig:") {
            println!("put    {k} = (secrets)");
        } else {
            println!("put    {k} = {v}");
        }
    }
    for k in &plan.deletes {
        println!("delete {k}");
    }
    if plan.is_empty() {
        println!("the KeyValueStore already matches");
    }
}

/// Sends every request to a local KeyValueStore (`IMGFRONT_KVS_ENDPOINT`, for tests and local
/// stacks) while keeping everything else the SDK's rules decide, SigV4a signing included. The
/// rules alone would put the account id in front of any endpoint's host, which a loopback
/// address cannot answer to.
#[derive(Debug)]
struct LocalEndpoint {
    url: String,
    rules: DefaultResolver,
}

impl ResolveEndpoint for LocalEndpoint {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::new(async move {
            let ruled = self.rules.resolve_endpoint(params).await?;
            let mut local = Endpoint::builder().url(self.url.clone());
            for (name, value) in ruled.properties() {
                local = local.property(name.clone(), value.clone());
            }
            for scheme in ruled.auth_schemes() {
                local = local.auth_scheme(scheme.clone());
            }
            Ok(local.build())
        })
    }
}

async fn client() -> Client {
    let shared = aws_config::load_from_env().await;
    match std::env::var("IMGFRONT_KVS_ENDPOINT") {
        Ok(url) if !url.is_empty() => {
            let conf = aws_sdk_cloudfrontkeyvaluestore::config::Builder::from(&shared)
                .endpoint_resolver(LocalEndpoint {
                    url,
                    rules: DefaultResolver::new(),
                })
                .build();
            Client::from_conf(conf)
        }
        _ => Client::new(&shared),
    }
}

pub fn run(config: Config, kvs_arn: &str, action: Action) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async move {
        let store = Store::new(client().await, kvs_arn);
        let current = store.all().await?;
        let plan = match action {
            Action::List => {
                for (k, v) in current.iter().filter(|(k, _)| !k.starts_with("sig:")) {
                    let keys = current
                        .get(&secrets_key(k))
                        .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
                        .map_or(0, |s| s.len());
                    println!("{k} {v} ({keys} signing secrets)");
                }
                return Ok(());
            }
            Action::Sync { dry_run } => {
                let plan = plan_sync(&current, &config);
                if dry_run {
                    describe(&plan);
                    return Ok(());
                }
                plan
            }
            Action::Put {
                tenant,
                access,
                referers,
            } => {
                check_tenant(&tenant)?;
                let mut plan = Plan::default();
                plan.puts
                    .insert(tenant.clone(), registry_value(access, &referers));
                if access == Access::Public && current.contains_key(&secrets_key(&tenant)) {
                    plan.deletes.push(secrets_key(&tenant));
                }
                plan
            }
            Action::Remove { tenant } => {
                check_tenant(&tenant)?;
                if !current.contains_key(&tenant) {
                    return Err(format!("the KeyValueStore has no tenant {tenant}"));
                }
                let mut plan = Plan::default();
                plan.deletes.push(tenant.clone());
                if current.contains_key(&secrets_key(&tenant)) {
                    plan.deletes.push(secrets_key(&tenant));
                }
                plan
            }
            Action::Rotate { tenant, secret } => {
                check_tenant(&tenant)?;
                if !current.contains_key(&tenant) {
                    return Err(format!(
                        "the KeyValueStore has no tenant {tenant}; add it first (imgfront tenants put)"
                    ));
                }
                let secret = match secret {
                    Some(s) => s,
                    None => new_secret()?,
                };
                let next = rotated(current.get(&secrets_key(&tenant)).map(String::as_str), &secret)?;
                let mut plan = Plan::default();
                plan.puts.insert(secrets_key(&tenant), next);
                store.apply(&plan).await?;
                println!("new signing secret for {tenant}: {secret}");
                return Ok(());
            }
            Action::Retire { tenant } => {
                check_tenant(&tenant)?;
                let json = current
                    .get(&secrets_key(&tenant))
                    .ok_or_else(|| format!("tenant {tenant} has no signing secrets"))?;
                let secrets: Vec<String> = serde_json::from_str(json)
                    .map_err(|e| format!("the stored secrets are not a JSON list: {e}"))?;
                let newest = secrets
                    .last()
                    .ok_or_else(|| format!("tenant {tenant} has no signing secrets"))?;
                let mut plan = Plan::default();
                plan.puts.insert(
                    secrets_key(&tenant),
                    serde_json::to_string(&[newest]).map_err(|e| e.to_string())?,
                );
                plan
            }
        };
        describe(&plan);
        store.apply(&plan).await
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn registry_values_are_what_the_cdk_app_writes() {
        assert_eq!(registry_value(Access::Public, &[]), "{}");
        assert_eq!(
            registry_value(Access::Private, &["a.example".into(), "*.a.example".into()]),
            r#"{"p":1,"r":["a.example","*.a.example"]}"#
        );
    }

    #[test]
    fn sync_puts_changes_and_removes_dropped_tenants_with_their_secrets() {
        let config = Config::embedded();
        let mut current = BTreeMap::new();
        current.insert("demo".to_string(), "{}".to_string());
        current.insert("acme".to_string(), "{\"p\":1}".to_string());
        current.insert("sig:acme".to_string(), "[\"s\"]".to_string());
        current.insert("gone".to_string(), "{}".to_string());
        current.insert("sig:gone".to_string(), "[\"s\"]".to_string());
        let plan = plan_sync(&current, &config);
        let acme = config.tenant("acme").unwrap();
        assert_eq!(
            plan.puts.get("acme"),
            Some(&registry_value(acme.access, &acme.allowed_referers))
        );
        assert!(
            !plan.puts.contains_key("demo"),
            "unchanged tenants are not rewritten"
        );
        assert!(
            !plan.puts.contains_key("sig:acme"),
            "secrets are never synced"
        );
        assert_eq!(plan.deletes, ["gone", "sig:gone"]);
    }

    #[test]
    fn rotation_keeps_the_newest_old_secret_beside_the_new_one() {
        assert_eq!(rotated(None, "a").unwrap(), r#"["a"]"#);
        assert_eq!(rotated(Some(r#"["a"]"#), "b").unwrap(), r#"["a","b"]"#);
        assert_eq!(rotated(Some(r#"["a","b"]"#), "c").unwrap(), r#"["b","c"]"#);
        assert!(rotated(Some(r#"["a","b"]"#), "b").is_err());
        assert!(rotated(Some("not json"), "c").is_err());
        assert_eq!(new_secret().unwrap().len(), 43);
        assert_ne!(new_secret().unwrap(), new_secret().unwrap());
    }

    #[test]
    fn plans_over_the_store_limits_are_refused_before_sending() {
        let mut plan = Plan::default();
        plan.puts
            .insert("t".into(), "x".repeat(MAX_VALUE_CHARS + 1));
        assert!(plan.check().unwrap_err().contains("1024-character"));
    }
}
