//! A discrete-time model of CloudFront's invalidation limits, driven by the real planner
//! ([`crate::plan::pack`]) the way SQS feeds the takedown function, to measure how long a
//! backlog of takedowns takes to drain and to check that no limit is ever exceeded.

use std::collections::{BTreeSet, VecDeque};

use crate::plan::{self, MAX_PATHS_IN_PROGRESS, MAX_WILDCARDS_IN_PROGRESS, Request};

/// The simulated world.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub takedowns: usize,
    pub derivatives_per_key: usize,
    /// Seconds an invalidation stays in progress.
    pub invalidation_secs: u64,
    /// Messages per Lambda invocation (the SQS event source's batch size).
    pub batch_size: usize,
    /// Concurrent invocations (the event source's maximum concurrency).
    pub concurrency: usize,
    /// Seconds a throttled message stays invisible before SQS redelivers it.
    pub visibility_secs: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub drain_secs: u64,
    pub invalidations: usize,
    pub throttled_calls: usize,
    pub peak_paths_in_progress: usize,
    pub peak_wildcards_in_progress: usize,
    pub paths_required: usize,
    pub paths_covered: usize,
}

struct InFlight {
    done_at: u64,
    paths: usize,
    wildcards: usize,
}

/// Runs the scenario until the queue is empty and every invalidation has completed.
pub fn run(s: &Scenario) -> Report {
    let requests: Vec<Request> = (0..s.takedowns)
        .map(|i| {
            let ops: Vec<String> = (0..s.derivatives_per_key)
                .map(|d| format!("v_{d}"))
                .collect();
            Request {
                id: format!("req-{i}"),
                paths: plan::paths_for(&format!("demo/img-{i}.jpg"), &ops),
            }
        })
        .collect();
    let required: BTreeSet<String> = requests
        .iter()
        .flat_map(|r| r.paths.iter().cloned())
        .collect();
    let mut queue: VecDeque<(u64, Request)> = requests.into_iter().map(|r| (0, r)).collect();
    let mut in_flight: Vec<InFlight> = Vec::new();
    let mut covered = BTreeSet::new();
    let mut report = Report {
        paths_required: required.len(),
        ..Report::default()
    };
    let mut t = 0u64;
    while !queue.is_empty() || !in_flight.is_empty() {
        in_flight.retain(|f| f.done_at > t);
        for _ in 0..s.concurrency {
            // One invocation: up to batch_size visible messages.
            let mut taken = Vec::new();
            let mut rest = VecDeque::new();
            while let Some((visible_at, r)) = queue.pop_front() {
                if visible_at <= t && taken.len() < s.batch_size {
                    taken.push(r);
                } else {
                    rest.push_back((visible_at, r));
                }
            }
            queue = rest;
            if taken.is_empty() {
                break;
            }
            for batch in plan::pack(&taken) {
                let paths: usize = in_flight.iter().map(|f| f.paths).sum();
                let wild: usize = in_flight.iter().map(|f| f.wildcards).sum();
                if paths + batch.paths.len() > MAX_PATHS_IN_PROGRESS
                    || wild + batch.wildcards() > MAX_WILDCARDS_IN_PROGRESS
                {
                    // TooManyInvalidationsInProgress: the messages go back to the queue.
                    report.throttled_calls += 1;
                    for id in &batch.requests {
                        if let Some(r) = taken.iter().find(|r| &r.id == id) {
                            queue.push_back((t + s.visibility_secs, r.clone()));
                        }
                    }
                    continue;
                }
                report.invalidations += 1;
                covered.extend(batch.paths.iter().cloned());
                in_flight.push(InFlight {
                    done_at: t + s.invalidation_secs,
                    paths: batch.paths.len(),
                    wildcards: batch.wildcards(),
                });
                let paths: usize = in_flight.iter().map(|f| f.paths).sum();
                let wild: usize = in_flight.iter().map(|f| f.wildcards).sum();
                report.peak_paths_in_progress = report.peak_paths_in_progress.max(paths);
                report.peak_wildcards_in_progress = report.peak_wildcards_in_progress.max(wild);
            }
        }
        t += 1;
    }
    report.drain_secs = t;
    report.paths_covered = required.intersection(&covered).count();
    report
}
