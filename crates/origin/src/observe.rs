//! What one request did, emitted as one JSON log line and one CloudWatch Embedded Metric
//! Format line (namespace `imgfront`), so dashboards need no log parsing rules.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

#[derive(Clone, Debug, Default)]
pub struct Record {
    pub request_id: String,
    pub path: String,
    pub method: String,
    pub status: u16,
    pub error: Option<&'static str>,
    pub format: Option<&'static str>,
    pub source_bytes: usize,
    pub output_bytes: usize,
    pub fetch: Duration,
    pub transform: Duration,
    pub store: Duration,
    pub store_failed: bool,
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

impl Record {
    pub fn new(request_id: &str, path: &str, method: &str) -> Self {
        Record {
            request_id: request_id.to_string(),
            path: path.to_string(),
            method: method.to_string(),
            ..Record::default()
        }
    }

    /// Writes the log line through `tracing`.
    pub fn log(&self) {
        tracing::info!(
            request_id = %self.request_id,
            path = %self.path,
            method = %self.method,
            status = self.status,
            error = self.error.unwrap_or(""),
            format = self.format.unwrap_or(""),
            source_bytes = self.source_bytes,
            output_bytes = self.output_bytes,
            fetch_ms = millis(self.fetch),
            transform_ms = millis(self.transform),
            store_ms = millis(self.store),
            store_failed = self.store_failed,
            "request"
        );
    }

    /// The EMF document: dimensions format and status, four metrics.
    pub fn emf(&self) -> Value {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        json!({
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": "imgfront",
                    "Dimensions": [["format", "status"]],
                    "Metrics": [
                        {"Name": "transform_ms", "Unit": "Milliseconds"},
                        {"Name": "fetch_ms", "Unit": "Milliseconds"},
                        {"Name": "source_bytes", "Unit": "Bytes"},
                        {"Name": "output_bytes", "Unit": "Bytes"}
                    ]
                }]
            },
            "format": self.format.unwrap_or("none"),
            "status": self.status.to_string(),
            "transform_ms": millis(self.transform),
            "fetch_ms": millis(self.fetch),
            "source_bytes": self.source_bytes,
            "output_bytes": self.output_bytes,
            "request_id": self.request_id,
            "path": self.path,
        })
    }

    /// Prints the EMF line on stdout, where CloudWatch Logs picks it up.
    pub fn emit_emf(&self) {
        println!("{}", self.emf());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn emf_declares_every_metric_it_carries() {
        let r = Record {
            status: 200,
            format: Some("webp"),
            source_bytes: 1000,
            output_bytes: 100,
            transform: Duration::from_millis(12),
            fetch: Duration::from_millis(3),
            ..Record::new("id-1", "/demo/a.jpg/w_320", "GET")
        };
        let v = r.emf();
        let meta = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(meta["Namespace"], "imgfront");
        for m in meta["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(v[name].is_number(), "{name} missing");
        }
        for d in meta["Dimensions"][0].as_array().unwrap() {
            assert!(v[d.as_str().unwrap()].is_string());
        }
        assert_eq!(v["transform_ms"], 12.0);
        assert_eq!(v["status"], "200");
        assert!(v["_aws"]["Timestamp"].as_u64().unwrap() > 1_600_000_000_000);
    }
}
