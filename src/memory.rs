//! How much memory svcq may use, and the frugal plan it follows when its usual
//! one would not fit. The usual plan reads each large file on every core and
//! evaluates a cohort's aggregates side by side: fastest, and at its peak 0.32×
//! the CSV's bytes at 4 M tickets, 0.33× at 100 M (it is expected at half).
//! Under a smaller budget (a container's cgroup limit, the memory the machine
//! has free, or `SVCQ_MEMORY_LIMIT`) svcq reads each file in one piece,
//! evaluates one aggregate at a time and hands freed buffers back to the system
//! at once: slower, with a peak under a third of the CSV's bytes.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};

/// The environment variable that sets the budget by hand (`512M`, `2G`, bytes).
pub const LIMIT_VAR: &str = "SVCQ_MEMORY_LIMIT";

static FRUGAL: AtomicBool = AtomicBool::new(false);

/// Whether the frugal plan is on (see [`plan_for`]).
pub fn frugal() -> bool {
    FRUGAL.load(Ordering::Relaxed)
}

/// The memory svcq may use, and where that figure comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub bytes: u64,
    pub from: String,
}

/// The smallest of: `SVCQ_MEMORY_LIMIT`, the memory limits of the cgroups the
/// process is in, and the memory the machine has available.
pub fn budget() -> Result<Option<Budget>> {
    let mut budgets = Vec::new();
    if let Some(text) = std::env::var_os(LIMIT_VAR).filter(|t| !t.is_empty()) {
        let text = text.to_string_lossy();
        let bytes = parse_size(&text).with_context(|| format!("{LIMIT_VAR}={text}"))?;
        budgets.push(Budget {
            bytes,
            from: format!("{LIMIT_VAR}={text}"),
        });
    }
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    budgets.extend(cgroup_limits(&cgroups, |path| {
        std::fs::read_to_string(path).ok()
    }));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    if let Some(bytes) = available(&meminfo) {
        budgets.push(Budget {
            bytes,
            from: "the memory the machine has available".to_string(),
        });
    }
    Ok(budgets.into_iter().min_by_key(|b| b.bytes))
}

/// Turns the frugal plan on when `need` bytes (what the usual plan is expected
/// to peak at) exceed the budget; says which plan and why on `-v`.
pub fn plan_for(need: u64) -> Result<()> {
    let Some(budget) = budget()? else {
        return Ok(());
    };
    let mib = |b: u64| b / (1 << 20);
    if need <= budget.bytes {
        crate::ui::detail(format!(
            "memory: about {} MiB needed, {} MiB allowed ({})",
            mib(need),
            mib(budget.bytes),
            budget.from
        ));
        return Ok(());
    }
    crate::ui::detail(format!(
        "memory: about {} MiB needed, {} MiB allowed ({}): reading one source at a time \
         and computing one aggregate at a time, to stay within it",
        mib(need),
        mib(budget.bytes),
        budget.from
    ));
    FRUGAL.store(true, Ordering::Relaxed);
    return_freed_buffers_at_once();
    Ok(())
}

/// glibc keeps freed buffers in its heaps for reuse, and raises the size it
/// maps directly as it sees large buffers freed: the process's resident memory
/// then stays at the peak of every phase before. Mapping every buffer of 1 MiB
/// or more directly gives each back to the system when it is freed. One heap
/// for every thread, not one per thread, keeps what small allocations leave
/// free in one place (the 4 M report needed 528 MiB with a heap per thread).
/// Called before any thread of the read is started.
fn return_freed_buffers_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets tunables of the allocator.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Hands the pages malloc holds free back to the system. Reading a source
/// frees hundreds of MB (its duplicate check, its parts, its ids before
/// `reduce`), and a cohort's aggregates their temporaries, which glibc keeps
/// resident in its heaps where what comes next does not always reuse them: the
/// process's peak was that much higher. Costs a page fault per page reused.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory; it takes the arenas' locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `512M`, `1.5G`, `800MiB`, `2GB` or a count of bytes (units are powers of 1024).
pub fn parse_size(text: &str) -> Result<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = match number.parse() {
        Ok(n) => n,
        Err(_) => bail!("not a size: give bytes or a number with K, M or G (512M, 1.5G)"),
    };
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        other => bail!("unknown unit {other:?}: use K, M, G or T (512M, 1.5G)"),
    };
    Ok((number * scale as f64) as u64)
}

/// The memory limits of the cgroups `/proc/self/cgroup` names, and of their
/// ancestors (a parent's limit binds its children): `memory.max` under cgroup
/// v2, `memory.limit_in_bytes` under v1. "max" and v1's huge "unlimited" are none.
fn cgroup_limits(cgroups: &str, read: impl Fn(&str) -> Option<String>) -> Vec<Budget> {
    let mut limits = Vec::new();
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let (root, file) = if controllers.is_empty() {
            ("/sys/fs/cgroup", "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")
        } else {
            continue;
        };
        let mut dir = path.trim_end_matches('/').to_string();
        loop {
            let at = format!("{root}{dir}/{file}");
            if let Some(bytes) = read(&at).and_then(|t| t.trim().parse::<u64>().ok()) {
                // cgroup v1 writes "no limit" as a page-rounded i64::MAX.
                if bytes < 1 << 60 {
                    limits.push(Budget {
                        bytes,
                        from: format!("the cgroup limit in {at}"),
                    });
                }
            }
            match dir.rfind('/') {
                Some(cut) => dir.truncate(cut),
                None => break,
            }
        }
    }
    limits
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
fn available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_their_units() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_size("800MiB").unwrap(), 800 << 20);
        assert_eq!(parse_size(" 2 GB ").unwrap(), 2 << 30);
        assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
        assert_eq!(parse_size("64k").unwrap(), 64 << 10);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn cgroup_limits_of_the_group_and_its_parents() {
        let files = |path: &str| -> Option<String> {
            match path {
                "/sys/fs/cgroup/user.slice/job/memory.max" => Some("536870912\n".into()),
                "/sys/fs/cgroup/user.slice/memory.max" => Some("max\n".into()),
                "/sys/fs/cgroup/memory/bench/memory.limit_in_bytes" => Some("1073741824\n".into()),
                "/sys/fs/cgroup/memory/memory.limit_in_bytes" => {
                    Some("9223372036854771712\n".into())
                }
                _ => None,
            }
        };
        let v2 = cgroup_limits("0::/user.slice/job\n", files);
        assert_eq!(v2.len(), 1);
        assert_eq!(v2[0].bytes, 512 << 20);
        assert!(v2[0].from.ends_with("/user.slice/job/memory.max"), "{v2:?}");
        let v1 = cgroup_limits("12:cpu,cpuacct:/bench\n4:memory:/bench\n", files);
        assert_eq!(v1.iter().map(|b| b.bytes).collect::<Vec<_>>(), [1 << 30]);
        assert!(cgroup_limits("0::/\n", files).is_empty());
        assert!(cgroup_limits("garbage", files).is_empty());
    }

    #[test]
    fn available_memory_from_meminfo() {
        let meminfo =
            "MemTotal:       24682496 kB\nMemFree:        1000 kB\nMemAvailable:   23549000 kB\n";
        assert_eq!(available(meminfo), Some(23_549_000 * 1024));
        assert_eq!(available("MemTotal: 1 kB\n"), None);
    }
}
