//! Row-wise work on every core: the rows split into one contiguous part per core,
//! each mapped on its own thread, the results in row order.

/// `f(start, len)` for each part of `0..rows`, in order.
pub fn map_parts<R: Send>(rows: usize, f: impl Fn(usize, usize) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let part = rows.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let f = &f;
        let workers: Vec<_> = (0..rows)
            .step_by(part)
            .map(|start| scope.spawn(move || f(start, part.min(rows - start))))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker thread panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parts_cover_every_row_once_in_order() {
        for rows in [0, 1, 2, 7, 1000] {
            let parts =
                super::map_parts(rows, |start, len| (start..start + len).collect::<Vec<_>>());
            let flat: Vec<usize> = parts.into_iter().flatten().collect();
            assert_eq!(flat, (0..rows).collect::<Vec<_>>());
        }
    }
}
