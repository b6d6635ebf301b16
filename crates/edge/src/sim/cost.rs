//! The monthly bill of an image CDN on AWS, from unit prices and a workload. The defaults are
//! the reference design's, so its published table can be checked, then recomputed with
//! imgfront's measured transform time and simulated ratios.

/// Unit prices in USD (the reference design's figures; override any of them).
#[derive(Clone, Debug)]
pub struct Prices {
    pub egress_per_gb: f64,
    pub functions_per_million: f64,
    pub lambda_per_gb_second: f64,
    pub lambda_per_million: f64,
    pub shield_per_10k: f64,
    pub s3_get_per_1k: f64,
    pub storage_per_gb_month: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            egress_per_gb: 0.06,
            functions_per_million: 0.10,
            lambda_per_gb_second: 0.000_050_01,
            lambda_per_million: 0.60,
            shield_per_10k: 0.0075,
            s3_get_per_1k: 0.0004,
            storage_per_gb_month: 0.023,
        }
    }
}

/// Traffic and per-request fractions. Fractions are of all viewer requests.
#[derive(Clone, Debug)]
pub struct Workload {
    pub requests_per_day: f64,
    pub days: f64,
    pub avg_object_bytes: f64,
    /// Requests answered by the edge cache.
    pub edge_hit_ratio: f64,
    /// Requests that reach Origin Shield (the edge misses).
    pub shield_fraction: f64,
    /// Requests that become S3 GETs.
    pub s3_get_fraction: f64,
    /// Requests that invoke the transform Lambda.
    pub transform_fraction: f64,
    pub transform_mb: f64,
    pub transform_ms: f64,
    pub stored_variants: f64,
    pub products: f64,
    pub variant_bytes: f64,
}

impl Workload {
    /// The reference design: 1B requests/day, 40 KB objects, 80% hit ratio, every miss through
    /// the shield to S3 and a 128 MB, 500 ms transform; 8 variants of 100k products at 50 KB.
    pub fn reference() -> Workload {
        let miss = 0.2;
        Workload {
            requests_per_day: 1e9,
            days: 30.0,
            avg_object_bytes: 40_000.0,
            edge_hit_ratio: 1.0 - miss,
            shield_fraction: miss,
            s3_get_fraction: miss,
            transform_fraction: miss,
            transform_mb: 128.0,
            transform_ms: 500.0,
            stored_variants: 8.0,
            products: 100_000.0,
            variant_bytes: 50_000.0,
        }
    }
}

/// One month, line by line.
#[derive(Clone, Debug, PartialEq)]
pub struct Bill {
    pub egress: f64,
    pub transform: f64,
    pub functions: f64,
    pub shield: f64,
    pub s3_gets: f64,
    pub storage: f64,
}

impl Bill {
    pub fn total(&self) -> f64 {
        self.egress + self.transform + self.functions + self.shield + self.s3_gets + self.storage
    }

    pub fn lines(&self) -> [(&'static str, f64); 6] {
        [
            ("CloudFront egress", self.egress),
            ("Transform Lambda", self.transform),
            ("CloudFront Functions", self.functions),
            ("Origin Shield", self.shield),
            ("S3 GETs", self.s3_gets),
            ("S3 storage", self.storage),
        ]
    }
}

/// Decimal gigabytes, as AWS bills transfer and storage.
const GB: f64 = 1e9;

pub fn monthly(prices: &Prices, w: &Workload) -> Bill {
    let requests = w.requests_per_day * w.days;
    let transforms = requests * w.transform_fraction;
    let gb_seconds = transforms * (w.transform_mb / 1024.0) * (w.transform_ms / 1000.0);
    Bill {
        egress: requests * w.avg_object_bytes / GB * prices.egress_per_gb,
        transform: gb_seconds * prices.lambda_per_gb_second
            + transforms / 1e6 * prices.lambda_per_million,
        functions: requests / 1e6 * prices.functions_per_million,
        shield: requests * w.shield_fraction / 1e4 * prices.shield_per_10k,
        s3_gets: requests * w.s3_get_fraction / 1e3 * prices.s3_get_per_1k,
        storage: w.stored_variants * w.products * w.variant_bytes / GB
            * prices.storage_per_gb_month,
    }
}

/// Lambda gives a function CPU in proportion to memory, one full vCPU at 1,769 MB; below that a
/// CPU-bound transform measured on one full core takes `1769 / mb` times longer.
pub fn lambda_ms(measured_ms_on_one_core: f64, memory_mb: f64) -> f64 {
    measured_ms_on_one_core * (1769.0 / memory_mb).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(actual: f64, expected: f64, tolerance: f64) -> bool {
        ((actual - expected) / expected).abs() <= tolerance
    }

    #[test]
    fn reference_table_reproduced_within_one_percent() {
        let bill = monthly(&Prices::default(), &Workload::reference());
        for (name, actual, expected) in [
            ("egress", bill.egress, 72_000.0),
            ("transform", bill.transform, 22_400.0),
            ("functions", bill.functions, 3_000.0),
            ("shield", bill.shield, 4_500.0),
            ("s3", bill.s3_gets, 2_400.0),
            ("total", bill.total(), 104_000.0),
        ] {
            assert!(
                within(actual, expected, 0.01),
                "{name}: {actual} vs {expected}"
            );
        }
        assert!(bill.storage < 1.0, "40 GB of variants is under a dollar");
    }

    #[test]
    fn lambda_time_scales_with_memory_below_one_vcpu() {
        assert!((lambda_ms(40.0, 1769.0) - 40.0).abs() < 1e-9);
        assert!((lambda_ms(40.0, 3538.0) - 40.0).abs() < 1e-9);
        assert!((lambda_ms(40.0, 128.0) - 552.8125).abs() < 1e-6);
    }
}
