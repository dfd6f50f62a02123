//! Independent jobs on a few threads, for reports that simulate many layers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `job` applied to every item, on `threads` threads (at least one), each
/// taking the next item when it is free; the results come in item order.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new((0..items.len()).map(|_| None).collect::<Vec<Option<R>>>());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                let result = job(item);
                results.lock().expect("no thread panics holding the lock")[index] = Some(result);
            });
        }
    });
    let results = results.into_inner().expect("no thread panics holding the lock");
    results.into_iter().map(|result| result.expect("every item was run")).collect()
}
