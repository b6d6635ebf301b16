//! Cooperative interruption: a render stops at the next checkpoint once its wall-clock budget
//! is spent or its caller has gone, instead of burning CPU on a result nobody will read.
//!
//! The pipeline checks between steps, and the engine's own loops (per frame, per scan, per
//! resampling pass) call [`checkpoint`]. Libraries that cannot be interrupted mid-call are kept
//! short by the pre-flight limits instead: pixels, frames, the memory budget, the SVG pre-scan.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{EngineError, too_complex};

/// Set by whoever asked for a render when nobody waits for it any more.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The limits of the render running on this thread.
#[derive(Clone)]
struct Watch {
    started: Instant,
    budget: Option<Duration>,
    cancel: Option<Cancel>,
}

thread_local! {
    static CURRENT: RefCell<Option<Watch>> = const { RefCell::new(None) };
}

/// Installs a render's limits on this thread for as long as it is alive.
pub(crate) struct Scope {
    previous: Option<Watch>,
}

impl Scope {
    pub fn enter(started: Instant, budget: Option<Duration>, cancel: Option<Cancel>) -> Scope {
        let watch = Watch {
            started,
            budget,
            cancel,
        };
        Scope {
            previous: CURRENT.with(|c| c.replace(Some(watch))),
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Errs if the render on this thread is past its budget or cancelled; `Ok` outside a render.
/// `at` names where the render stopped, for the message.
pub fn checkpoint(at: &str) -> Result<(), EngineError> {
    CURRENT.with(|c| match &*c.borrow() {
        Some(w) => check(w, at),
        None => Ok(()),
    })
}

fn check(w: &Watch, at: &str) -> Result<(), EngineError> {
    if w.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
        return Err(EngineError::Cancelled);
    }
    match w.budget {
        Some(budget) if w.started.elapsed() > budget => Err(too_complex(format!(
            "the render ran past its {:.1} s budget {at}",
            budget.as_secs_f64()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_see_the_budget_and_the_cancel_of_their_own_thread_only() {
        assert_eq!(checkpoint("here"), Ok(()));
        let cancel = Cancel::new();
        {
            let _scope = Scope::enter(Instant::now(), None, Some(cancel.clone()));
            assert_eq!(checkpoint("here"), Ok(()));
            cancel.cancel();
            assert_eq!(checkpoint("here"), Err(EngineError::Cancelled));
            // Another thread runs no render.
            assert_eq!(
                std::thread::spawn(|| checkpoint("there")).join().ok(),
                Some(Ok(()))
            );
        }
        assert_eq!(checkpoint("here"), Ok(()));
        let _scope = Scope::enter(Instant::now(), Some(Duration::ZERO), None);
        std::thread::sleep(Duration::from_millis(2));
        let err = checkpoint("in frame 3").expect_err("past a zero budget");
        assert!(err.to_string().contains("budget in frame 3"), "{err}");
    }
}
